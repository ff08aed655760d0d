//! The hub's edges against a real `onsite serve` process, measured in bytes
//! and connections (never against a clock): what an unauthenticated peer
//! costs, bounded bodies, head deadlines, a shutdown with stuck clients,
//! rate-limited authentication, metrics behind a token, logs without
//! personal data, and counters out of range.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::Duration;

use crate::common::hostile::Hostile;
use crate::common::spawn_serve;
use onsite_cli::client::HubClient;
use serde_json::json;

struct Served {
    child: Child,
    url: String,
    metrics: String,
    admin: HubClient,
    admin_token: String,
    _dir: tempfile::TempDir,
    stderr: Option<std::thread::JoinHandle<String>>,
}

/// A free loopback port.
fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(extra: &[&str]) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("hub.sqlite").display());
    let out = Command::new(env!("CARGO_BIN_EXE_onsite"))
        .args(["admin", "bootstrap", "--database", &database, "--person", "backoffice"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let admin_token = text.split_whitespace().find(|w| w.starts_with("ost_")).unwrap().to_string();
    let metrics = format!("127.0.0.1:{}", port());
    let (mut child, mut out, url) = spawn_serve(&database, &[&["--metrics-listen", metrics.as_str()], extra].concat());
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = out.read_to_string(&mut rest);
    });
    let mut err = child.stderr.take().unwrap();
    let stderr = Some(std::thread::spawn(move || {
        let mut all = String::new();
        let _ = err.read_to_string(&mut all);
        all
    }));
    let admin = HubClient::new(&url, &admin_token, None).unwrap();
    Served { child, url, metrics: format!("http://{metrics}"), admin, admin_token, _dir: dir, stderr }
}

impl Served {
    /// A counter or gauge from the metrics address (no token needed there).
    fn metric(&self, name: &str) -> f64 {
        let text = HubClient::new(&self.metrics, "", None).unwrap().get_text("/metrics").unwrap();
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in:\n{text}"))
    }

    /// The hub process's peak resident memory so far, in KiB (Linux).
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap()
    }

    fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// Stops the hub with SIGTERM; its exit status and everything it logged.
    /// Stops the hub with SIGTERM; it must exit cleanly. Its log.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let status = self.child.wait().unwrap();
        let log = self.stderr.take().unwrap().join().unwrap();
        assert!(status.success(), "{status:?}\n{log}");
        log
    }

    fn device(&self, person: &str, role: &str) -> (String, String) {
        let v = self.admin.post_json("/v1/admin/devices", &json!({ "person": person, "role": role })).unwrap();
        (v["device"]["device_id"].as_str().unwrap().into(), v["token"].as_str().unwrap().into())
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn post_sync(url: &str, token: Option<&str>, gzip_body: &[u8]) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = agent.post(format!("{url}/v1/sync")).header("Content-Encoding", "gzip");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    match req.send(gzip_body) {
        Ok(r) => r.status().as_u16(),
        // The hub may close the connection on a refused body before reading it all.
        Err(_) => 0,
    }
}

#[test]
fn an_unauthenticated_peer_costs_the_hub_almost_nothing() {
    let hub = serve(&[]);
    // Warm up: one authenticated request of each kind the hub answers.
    hub.admin.get_json("/v1/admin/devices").unwrap();
    let before = hub.peak_kib();
    // 32 KB of gzip that inflates to 32 MiB, 80 at once, without a token.
    let bomb = gzip(&vec![0u8; 32 << 20]);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..80).map(|_| s.spawn(|| post_sync(&hub.url, None, &bomb))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| matches!(s, 401 | 429 | 0)), "{statuses:?}");
    assert!(statuses.iter().filter(|s| **s == 401).count() >= 20, "{statuses:?}");
    assert_eq!(hub.metric("onsite_inflated_bytes_total"), 0.0, "nothing inflated before a token was checked");
    let grown = hub.peak_kib().saturating_sub(before);
    // 80 × 32 MiB would be 2.5 GiB; the bodies are not even read.
    assert!(grown < 32 << 10, "the hub grew by {grown} KiB");
    assert!(hub.metric("onsite_auth_rate_limited_total") >= 1.0, "the address was limited after its failures");
    hub.stop();
}

#[test]
fn authenticated_bodies_are_bounded_per_request_and_together() {
    let hub = serve(&["--memory-budget-mib", "16"]);
    let (_, token) = hub.device("rep-anna", "rep");
    hub.admin.get_json("/v1/admin/devices").unwrap();
    // Within the budget, a body is read and inflated (and then refused as
    // no frame: 400).
    let small = gzip(&vec![0u8; 8 << 20]);
    assert_eq!(post_sync(&hub.url, Some(&token), &small), 400);
    let after_one = hub.metric("onsite_inflated_bytes_total");
    assert_eq!(after_one, f64::from(8u32 << 20));
    let before = hub.peak_kib();
    // 16 at once, each inflating to 32 MiB: none may take more than the
    // budget all of them share (16 MiB), so each is refused at it.
    let bomb = gzip(&vec![0u8; 32 << 20]);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..16).map(|_| s.spawn(|| post_sync(&hub.url, Some(&token), &bomb))).collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
    let inflated = hub.metric("onsite_inflated_bytes_total") - after_one;
    assert!(inflated <= 16.0 * f64::from(16u32 << 20), "{inflated}");
    let grown = hub.peak_kib().saturating_sub(before);
    // The budget plus buffers, not 16 × 32 MiB = 512 MiB.
    assert!(grown < 64 << 10, "the hub grew by {grown} KiB");
    assert_eq!(hub.metric("onsite_memory_refusals_total"), 16.0);
    // A body over the frame limit is refused at the limit (a bigger budget).
    hub.stop();
    let hub = serve(&["--memory-budget-mib", "128"]);
    let (_, token) = hub.device("rep-anna", "rep");
    let over = gzip(&vec![0u8; (32 << 20) + 4096]);
    assert_eq!(post_sync(&hub.url, Some(&token), &over), 413);
    assert!(hub.metric("onsite_inflated_bytes_total") <= f64::from(32u32 << 20));
    // The budget is given back: a normal request goes through.
    assert!(hub.admin.get_json("/v1/admin/devices").is_ok());
    hub.stop();
}

/// Opens `n` connections that send half a request head and stop.
fn half_heads(addr: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| {
            let mut s = TcpStream::connect(addr).unwrap();
            s.write_all(b"POST /v1/sync HTTP/1.1\r\nHost: hub\r\nContent-Le").unwrap();
            s
        })
        .collect()
}

/// Whether the hub has closed `s` (EOF, perhaps after a 408), waiting for
/// the hub at most `wait`.
fn closed(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) => return matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe),
        }
    }
}

#[test]
fn unfinished_request_heads_are_closed_at_their_deadline() {
    let hub = serve(&["--header-timeout", "1"]);
    let mut stuck = half_heads(&hub.addr(), 300);
    let closed_now = stuck.iter_mut().map(|s| closed(s, Duration::from_secs(20))).filter(|c| *c).count();
    assert_eq!(closed_now, 300, "every half-sent head was closed by the hub");
    assert!(hub.metric("onsite_connections_total") >= 300.0, "all 300 had been accepted");
    assert!(hub.metric("onsite_connections_open") <= 1.0, "only the metrics request itself is open");
    hub.stop();
}

#[test]
fn shutdown_ends_within_its_grace_even_with_stuck_clients() {
    let hub = serve(&["--shutdown-grace", "1", "--header-timeout", "600", "--body-timeout", "600"]);
    let (_, token) = hub.device("rep-anna", "rep");
    let mut stuck = half_heads(&hub.addr(), 5);
    // An authenticated request whose body stops after a few bytes.
    let mut slow = TcpStream::connect(hub.addr()).unwrap();
    write!(
        slow,
        "POST /v1/sync HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\nOSYN"
    )
    .unwrap();
    // Wait until the hub holds all six.
    for _ in 0..200 {
        if hub.metric("onsite_connections_open") >= 7.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = hub.stop();
    let forced: usize = log
        .lines()
        .find_map(|l| l.split("closing ").nth(1)?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no forced close in the log:\n{log}"));
    assert!(forced >= 1, "{log}");
    stuck.push(slow);
    for s in &mut stuck {
        assert!(closed(s, Duration::from_secs(5)), "a client connection survived the hub");
    }
}

#[test]
fn failed_authentications_are_rate_limited_and_counted() {
    let hub = serve(&[]);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..200 {
        let r = agent
            .get(format!("{}/v1/admin/devices", hub.url))
            .header("Authorization", "Bearer ost_wrong")
            .call()
            .unwrap();
        if r.status().as_u16() == 429 {
            retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        }
        statuses.push(r.status().as_u16());
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 20, "the first 20 failures are answered");
    assert_eq!(limited, 180);
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "{retry:?}");
    assert_eq!(hub.metric("onsite_auth_rate_limited_total"), 180.0);
    assert!(hub.metric("onsite_auth_failures_total") >= 20.0);
    hub.stop();
}

#[test]
fn metrics_need_an_admin_token_or_their_own_address() {
    let hub = serve(&[]);
    let (_, rep) = hub.device("rep-anna", "rep");
    let status = |token: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut req = agent.get(format!("{}/metrics", hub.url));
        if !token.is_empty() {
            req = req.header("Authorization", &format!("Bearer {token}"));
        }
        req.call().unwrap().status().as_u16()
    };
    assert_eq!(status(""), 401);
    assert_eq!(status(&rep), 403);
    assert_eq!(status(&hub.admin_token), 200);
    assert!(hub.metric("onsite_up{backend=\"sqlite\"}") == 1.0, "the metrics address needs no token");
    hub.stop();
}

#[test]
fn the_log_holds_codes_and_ids_never_what_a_frame_held() {
    let hub = serve(&[]);
    let (crm_id, crm_token) = hub.device("crm-import", "admin");
    let mut crm = Hostile::new(&hub.url, &crm_id, &crm_token);
    let (account, contacts) = onsite_core::sample::accounts(1, 3).remove(0);
    let id = onsite_core::crdt::DocId::account(&account.id);
    let record = onsite_core::crdt::AccountRecord { account, contacts, deleted: false };
    crm.create(&id, &onsite_core::crdt::Record::Account(Box::new(record)));
    assert_eq!(crm.push(&[&id]), crate::common::hostile::Outcome::Accepted);
    // A value that does not decode, holding a person's name and address.
    crm.raw(&id, |doc| {
        use automerge::ReadDoc;
        use automerge::transaction::Transactable;
        let (_, obj) = doc.get(automerge::ROOT, "account").unwrap().unwrap();
        doc.put(&obj, "employees", "Anna Weiß <anna.weiss@example.de>").unwrap();
    });
    let outcome = crm.push(&[&id]);
    assert_eq!(outcome.codes(), vec![onsite_core::transition::RefusalCode::InvalidRecord]);
    if let crate::common::hostile::Outcome::Refused(r) = &outcome {
        assert!(!r[0].2.contains("Weiß") && !r[0].2.contains("example.de"), "{}", r[0].2);
    }
    let log = hub.stop();
    assert!(log.contains(&format!("sync refused for device {crm_id}: invalid_record")), "{log}");
    for secret in ["Anna", "Weiß", "example.de", "crm-import", &crm_token] {
        assert!(!log.contains(secret), "{secret} in the log:\n{log}");
    }
}

#[test]
fn counters_out_of_range_are_a_bad_frame_not_a_lockout() {
    let hub = serve(&[]);
    let (id, token) = hub.device("rep-anna", "rep");
    let client = HubClient::new(&hub.url, &token, None).unwrap();
    let frame = |session: u64, round: u64| {
        onsite_core::sync::frame::encode_request(&onsite_core::sync::frame::Request {
            device_id: id.clone(),
            session,
            round,
            catalog_cursor: 0,
            catalog_resume: None,
            doc_cursor: 0,
            entries: Vec::new(),
        })
    };
    for (session, round) in [(u64::MAX, 1), (1, u64::MAX), (1 << 63, 1)] {
        let e = client.sync_frame(&frame(session, round)).unwrap_err();
        assert!(e.to_string().contains("400"), "{e}");
    }
    // The device is not locked out: its normal first round goes through.
    assert!(client.sync_frame(&frame(1, 1)).is_ok());
    assert!(client.sync_frame(&frame(1, 2)).is_ok());
    hub.stop();
}

/// A request the hub refuses before reading its body (no token, a rep at
/// the back-office API) still gets its answer: the hub closes such a
/// connection by lingering, so the unread body does not reset it.
#[test]
fn a_request_refused_before_its_body_is_read_gets_its_answer() {
    let hub = serve(&[]);
    let (_, rep) = hub.device("rep-anna", "rep");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let body = vec![b'x'; 900 << 10];
    let mut statuses = std::collections::BTreeMap::new();
    for i in 0..60 {
        let mut req = agent.post(format!("{}/v1/admin/catalog", hub.url)).header("Content-Type", "text/csv");
        // a quarter without a token (fewer than the failures that get an
        // address limited), the rest a rep's
        if i % 4 != 0 {
            req = req.header("Authorization", &format!("Bearer {rep}"));
        }
        let status = match req.send(&body[..]) {
            Ok(r) => r.status().as_u16().to_string(),
            Err(e) => format!("{e}"),
        };
        *statuses.entry(status).or_insert(0) += 1;
    }
    assert_eq!(statuses, [("401".to_string(), 15), ("403".to_string(), 45)].into(), "every refusal was answered");
    hub.stop();
}
