//! Just enough of the W3C WebDriver protocol to drive Debian's Chromium through
//! `chromedriver`: open pages, find elements, type, click, read text, take screenshots.
use base64::Engine;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    process: Child,
    base: String,
    session: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Why the browser tests cannot run here, when they cannot.
pub fn missing() -> Option<String> {
    for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !std::path::Path::new(bin).exists() {
            return Some(format!(
                "{bin} is missing: install Debian's chromium and chromium-driver \
                 (apt-get install chromium chromium-driver), or set RELAIS_SKIP_BROWSER=1"
            ));
        }
    }
    None
}

impl Driver {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub fn start() -> Driver {
        let port = free_port();
        let process = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while ureq::get(&format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("profile folder").keep();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                         "--window-size=1280,900", format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let mut d = Driver {
            process,
            base,
            session: String::new(),
        };
        let v = d.send("POST", "/session", caps);
        d.session = v["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        d
    }

    fn send(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let answer = match method {
            "GET" => ureq::get(&url).call(),
            "DELETE" => ureq::delete(&url).call(),
            _ => ureq::post(&url).send_json(&body),
        };
        let mut res = match answer {
            Ok(r) => r,
            Err(ureq::Error::StatusCode(code)) => panic!("WebDriver {method} {path}: HTTP {code}"),
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        let v: Value = res.body_mut().read_json().expect("WebDriver JSON");
        v["value"].clone()
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        self.send(method, &format!("/session/{}{path}", self.session), body)
    }

    pub fn go(&self, url: &str) {
        self.cmd("POST", "/url", json!({"url": url}));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The element matching a CSS selector, waiting for it up to 5 s.
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let v = self.cmd(
                "POST",
                "/elements",
                json!({"using": "css selector", "value": css}),
            );
            if let Some(id) = v
                .as_array()
                .and_then(|a| a.first())
                .and_then(|e| e[ELEMENT].as_str())
            {
                return id.to_string();
            }
            assert!(Instant::now() < deadline, "no element matches {css}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn clear(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), json!({}));
    }

    pub fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            json!({"text": text}),
        );
    }

    /// Picks the option of a select by its value.
    pub fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"));
    }

    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
    }

    /// The visible text of the page (read by a script: no element to go stale while a
    /// page loads).
    pub fn text(&self) -> String {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({"script": "return document.body ? document.body.innerText : '';", "args": []}),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits until the page's text holds `what`, up to 5 s.
    pub fn wait_for_text(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let t = self.text();
            if t.contains(what) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed {what:?}; it shows:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Saves a PNG of the window.
    pub fn screenshot(&self, path: &std::path::Path) {
        let b64 = self.cmd("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("a PNG");
        std::fs::write(path, png).expect("screenshot written");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
