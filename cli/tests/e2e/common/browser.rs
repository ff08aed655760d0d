//! A real headless Chromium driven over the DevTools protocol: a small
//! WebSocket client on a `TcpStream` (RFC 6455 framing: masked text frames
//! out, unmasked frames in), one page target attached with a flat session.
//! Pages are operated through the DOM and Input domains, as a person
//! would: scripts stay disabled, so what passes here works without
//! JavaScript.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long to wait for the browser or a page before failing the test.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    stream: TcpStream,
    next_id: u64,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> Option<String> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok())
        .map(str::to_string)
}

impl Browser {
    /// Starts Chromium with a phone-sized page; `None` (with a note) when
    /// no Chromium is installed, unless `ONSITE_REQUIRE_BROWSER` demands one.
    pub fn launch() -> Option<Browser> {
        let Some(binary) = chromium() else {
            assert!(
                std::env::var_os("ONSITE_REQUIRE_BROWSER").is_none(),
                "ONSITE_REQUIRE_BROWSER is set but no chromium is installed"
            );
            eprintln!("skipped: no chromium (tests/run.sh installs Debian's package)");
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-extensions",
                "--disable-sync",
                "--mute-audio",
                "--hide-scrollbars",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        // Chromium writes the port and the browser's WebSocket path here.
        let active = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let (port, path) = loop {
            if let Ok(text) = std::fs::read_to_string(&active) {
                let mut lines = text.lines();
                if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
                    break (port.trim().to_string(), path.trim().to_string());
                }
            }
            assert!(started.elapsed() < PATIENCE, "chromium did not open its DevTools port");
            std::thread::sleep(Duration::from_millis(50));
        };
        let stream = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut b = Browser { child, stream, next_id: 0, session: String::new(), _profile: profile };
        b.handshake(&port, &path);
        let target = b.call_browser("Target.createTarget", json!({ "url": "about:blank" }));
        let target = target["targetId"].as_str().unwrap().to_string();
        let attached = b.call_browser("Target.attachToTarget", json!({ "targetId": target, "flatten": true }));
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.call("Page.enable", json!({}));
        b.call("DOM.enable", json!({}));
        b.call("CSS.enable", json!({}));
        b.call("Emulation.setScriptExecutionDisabled", json!({ "value": true }));
        b.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        );
        b.call("Emulation.setTouchEmulationEnabled", json!({ "enabled": true, "maxTouchPoints": 5 }));
        Some(b)
    }

    fn handshake(&mut self, port: &str, path: &str) {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: b25zaXRlLWJyb3dzZXItdA==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        self.stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(&self.stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 101 "), "DevTools refused the WebSocket: {status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        assert!(reader.buffer().is_empty(), "no frame is sent before the first command");
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= 0xffff => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x5a, 0x17, 0xc3, 0x2e];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    fn receive(&mut self) -> Value {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).unwrap();
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let mut len = u64::from(head[1] & 0x7f);
            if len == 126 {
                let mut b = [0u8; 2];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from(u16::from_be_bytes(b));
            } else if len == 127 {
                let mut b = [0u8; 8];
                self.stream.read_exact(&mut b).unwrap();
                len = u64::from_be_bytes(b);
            }
            assert!(head[1] & 0x80 == 0, "a server frame is never masked");
            let mut payload = vec![0u8; len as usize];
            self.stream.read_exact(&mut payload).unwrap();
            match opcode {
                0x8 => panic!("chromium closed the DevTools connection"),
                0x9 | 0xa => continue, // ping / pong
                _ => message.extend_from_slice(&payload),
            }
            if fin {
                return serde_json::from_slice(&message).unwrap();
            }
        }
    }

    fn exchange(&mut self, mut msg: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        msg["id"] = json!(id);
        self.send(&msg.to_string());
        loop {
            let answer = self.receive();
            if answer["id"].as_u64() == Some(id) {
                if let Some(e) = answer.get("error") {
                    panic!("{} failed: {e}", msg["method"]);
                }
                return answer["result"].clone();
            }
        }
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.exchange(json!({ "method": method, "params": params }))
    }

    /// One DevTools command on the page.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.exchange(json!({ "method": method, "params": params, "sessionId": session }))
    }

    /// One DevTools command on the page; `None` instead of a failure.
    fn try_call(&mut self, method: &str, params: Value) -> Option<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let session = self.session.clone();
        self.send(&json!({ "id": id, "method": method, "params": params, "sessionId": session }).to_string());
        loop {
            let answer = self.receive();
            if answer["id"].as_u64() == Some(id) {
                return if answer.get("error").is_some() { None } else { Some(answer["result"].clone()) };
            }
        }
    }

    pub fn goto(&mut self, url: &str) {
        let r = self.call("Page.navigate", json!({ "url": url }));
        assert!(r.get("errorText").is_none(), "navigation to {url} failed: {r}");
    }

    fn node(&mut self, selector: &str) -> Option<i64> {
        let doc = self.try_call("DOM.getDocument", json!({ "depth": 0 }))?;
        let root = doc["root"]["nodeId"].as_i64()?;
        let found = self.try_call("DOM.querySelector", json!({ "nodeId": root, "selector": selector }))?;
        found["nodeId"].as_i64().filter(|id| *id != 0)
    }

    /// Waits until `selector` matches (after a navigation or a submit).
    pub fn wait_for(&mut self, selector: &str) -> i64 {
        let started = Instant::now();
        loop {
            if let Some(id) = self.node(selector) {
                return id;
            }
            assert!(started.elapsed() < PATIENCE, "{selector} never appeared");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// How many elements match.
    pub fn node_count(&mut self, selector: &str) -> usize {
        let doc = self.call("DOM.getDocument", json!({ "depth": 0 }));
        let root = doc["root"]["nodeId"].as_i64().unwrap();
        let found = self.call("DOM.querySelectorAll", json!({ "nodeId": root, "selector": selector }));
        found["nodeIds"].as_array().map_or(0, Vec::len)
    }

    /// The element's HTML.
    pub fn html(&mut self, selector: &str) -> String {
        let id = self.wait_for(selector);
        self.call("DOM.getOuterHTML", json!({ "nodeId": id }))["outerHTML"].as_str().unwrap().to_string()
    }

    /// The element's text: tags removed, entities decoded, whitespace folded.
    pub fn text(&mut self, selector: &str) -> String {
        let html = self.html(selector);
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        let out = out
            .replace("&nbsp;", " ")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A computed style property of the first match.
    pub fn style(&mut self, selector: &str, property: &str) -> String {
        let id = self.wait_for(selector);
        let styles = self.call("CSS.getComputedStyleForNode", json!({ "nodeId": id }));
        styles["computedStyle"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == property)
            .map(|p| p["value"].as_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// (content width, viewport width) in CSS pixels.
    pub fn widths(&mut self) -> (f64, f64) {
        let m = self.call("Page.getLayoutMetrics", json!({}));
        (m["cssContentSize"]["width"].as_f64().unwrap(), m["cssLayoutViewport"]["clientWidth"].as_f64().unwrap())
    }

    /// Taps the element's centre, as a finger would.
    pub fn tap(&mut self, selector: &str) {
        let id = self.wait_for(selector);
        self.call("DOM.scrollIntoViewIfNeeded", json!({ "nodeId": id }));
        let quads = self.call("DOM.getContentQuads", json!({ "nodeId": id }));
        let q = quads["quads"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect::<Vec<_>>();
        let (x, y) = ((q[0] + q[2] + q[4] + q[6]) / 4.0, (q[1] + q[3] + q[5] + q[7]) / 4.0);
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Chooses `path` in a file input, as a person picking the file would.
    pub fn choose_file(&mut self, selector: &str, path: &std::path::Path) {
        let id = self.wait_for(selector);
        self.call("DOM.setFileInputFiles", json!({ "nodeId": id, "files": [path.to_str().unwrap()] }));
    }

    /// Focuses a field and types into it.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        let id = self.wait_for(selector);
        self.call("DOM.focus", json!({ "nodeId": id }));
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// The screen: `width` × `height` CSS pixels, a touch screen or not
    /// (the default is a phone, 390 × 844).
    pub fn screen(&mut self, width: u32, height: u32, touch: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": touch }),
        );
    }

    /// A PNG of the whole page at the screen's width.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let m = self.call("Page.getLayoutMetrics", json!({}));
        let height = m["cssContentSize"]["height"].as_f64().unwrap().ceil();
        let width = m["cssLayoutViewport"]["clientWidth"].as_f64().unwrap().ceil();
        let shot = self.call(
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 } }),
        );
        base64_decode(shot["data"].as_str().unwrap())
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

/// Where tests leave files to look at: `target/test-artefacts/`.
pub fn artefact_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
