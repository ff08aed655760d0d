//! `docs/openapi.yaml` and the running hub agree: every documented path and
//! method is served, and nothing undocumented is.

use std::collections::BTreeSet;

use onsite_hub::http::ROUTES;

/// `(METHOD, path)` pairs from the OpenAPI file's `paths` section.
fn documented() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.yaml")).unwrap();
    let mut out = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let (Some(m), Some(p)) = (line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')), &path)
            && ["get", "post", "put", "delete", "patch"].contains(&m)
        {
            out.insert((m.to_uppercase(), p.clone()));
        }
    }
    out
}

#[test]
fn the_openapi_file_lists_exactly_the_routes() {
    let routes: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented(), routes);
}

fn call(agent: &ureq::Agent, method: &str, url: &str, token: &str) -> (u16, String) {
    let auth = format!("Bearer {token}");
    let resp = match method {
        "GET" => agent.get(url).header("Authorization", &auth).call(),
        // No body: endpoints that answer without reading one close the
        // connection, and unread bytes could reset it before the answer is
        // read (see hub.rs).
        "POST" => agent.post(url).header("Authorization", &auth).send(&b""[..]),
        "PUT" => agent.put(url).header("Authorization", &auth).send(&b""[..]),
        "DELETE" => agent.delete(url).header("Authorization", &auth).call(),
        other => panic!("{other}"),
    };
    let mut resp = resp.unwrap();
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn every_documented_route_is_served_and_nothing_else() {
    let db = crate::common::Db::sqlite();
    let hub = crate::common::hub(&db);
    // A connection per call: endpoints that take no body may answer before
    // reading the `{}` sent here and close the connection, which a pooled
    // agent would then reuse (seen once as "peer disconnected").
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_idle_connections(0).build().into();
    for (method, path) in documented() {
        let url = format!("{}{}", hub.url(), path.replace("{id}", "q1").replace("{rep}", "rep-1"));
        let (status, body) = call(&agent, &method, &url, &hub.admin_token);
        assert!(status != 405 && !body.contains("no such endpoint"), "{method} {path}: {status} {body}");
    }
    for (method, path) in [("GET", "/v1/admin/secrets"), ("POST", "/v1/admin/tokens"), ("GET", "/v2/sync")] {
        let (status, body) = call(&agent, method, &format!("{}{path}", hub.url()), &hub.admin_token);
        assert_eq!(status, 404, "{method} {path}: {body}");
        assert!(body.contains("\"error\":\"not_found\""), "{body}");
    }
    for (method, path) in [("DELETE", "/v1/admin/devices"), ("GET", "/v1/sync"), ("PUT", "/v1/admin/catalog")] {
        let (status, _) = call(&agent, method, &format!("{}{path}", hub.url()), &hub.admin_token);
        assert_eq!(status, 405, "{method} {path}");
    }
}
