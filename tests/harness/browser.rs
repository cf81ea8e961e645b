//! Headless Chromium through ChromeDriver, driven with fantoccini.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::process::{Group, free_port};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a journey waits for the page to show something.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(20);
const WINDOW_SIZE: &str = "--window-size=1280,900";

/// One ChromeDriver for the whole run; each journey opens its own session
/// with its own fresh profile.
pub struct Driver {
    url: String,
    profiles_dir: PathBuf,
    sessions: AtomicU32,
    _group: Group,
}

impl Driver {
    pub fn start(run_dir: &Path) -> Driver {
        let port = free_port();
        let mut command = Command::new(CHROMEDRIVER);
        command.arg(format!("--port={port}"));
        let group = Group::spawn(command, &run_dir.join("chromedriver.log"));
        let url = format!("http://127.0.0.1:{port}");
        let agent = crate::api::agent();
        let deadline = Instant::now() + READY_TIMEOUT;
        while agent
            .get(&format!("{url}/status"))
            .call()
            .map(|response| response.status() != 200)
            .unwrap_or(true)
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            url,
            profiles_dir: run_dir.join("profiles"),
            sessions: AtomicU32::new(0),
            _group: group,
        }
    }

    /// A new browser session with a fresh, empty profile.
    pub async fn session(&self) -> Client {
        let number = self.sessions.fetch_add(1, Ordering::Relaxed);
        let profile = self.profiles_dir.join(number.to_string());
        std::fs::create_dir_all(&profile).expect("create a browser profile");
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", WINDOW_SIZE,
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("open a browser session")
    }
}

/// Waits until `count` elements match `css`, and returns their texts.
pub async fn wait_for_count(client: &Client, css: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let elements = client.find_all(Locator::Css(css)).await.unwrap_or_default();
        if elements.len() == count {
            let mut texts = Vec::with_capacity(count);
            for element in elements {
                texts.push(element.text().await.unwrap_or_default());
            }
            return texts;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} elements matching {css}, found {}",
            elements.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the first element matching `css` contains `text`.
pub async fn wait_for_text(client: &Client, css: &str, text: &str) -> String {
    let deadline = Instant::now() + PAGE_TIMEOUT;
    loop {
        let found = match client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if found.contains(text) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "expected {css} to contain {text:?}, found {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves a screenshot under `target/e2e/screenshots/NAME.png`.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("take a screenshot");
    let directory = crate::output_dir().join("screenshots");
    std::fs::create_dir_all(&directory).expect("create the screenshot directory");
    let path = directory.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write the screenshot");
    path
}

/// Runs an async journey on its own single-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime")
        .block_on(future)
}

/// The two widths every step of a journey is seen at: a phone and a laptop.
pub const NARROW: (u32, u32) = (360, 800);
pub const WIDE: (u32, u32) = (1280, 900);

/// The WCAG rule sets axe-core checks: 2.0 and 2.1, levels A and AA.
const AXE_TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']";

/// Checks the page as it stands with axe-core, injected by the driver from
/// the pinned npm package (the page itself loads nothing from elsewhere),
/// and fails on any WCAG 2.1 A/AA violation, naming the screen.
pub async fn assert_accessible(client: &Client, screen: &str) {
    let path = crate::workspace_root().join("node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    client
        .execute(
            &format!("if (!window.axe) {{ {source}\n }} return typeof window.axe;"),
            vec![],
        )
        .await
        .expect("inject axe-core");
    let script = format!(
        "const done = arguments[arguments.length - 1];
         window.axe.run(document, {{ runOnly: {{ type: 'tag', values: {AXE_TAGS} }} }})
           .then(result => done(result.violations.map(violation => ({{
             id: violation.id, impact: violation.impact, help: violation.help,
             nodes: violation.nodes.slice(0, 5).map(node => node.target.join(' ')),
           }}))))
           .catch(error => done([{{ id: 'axe-failed', help: String(error) }}]));"
    );
    let violations = client
        .execute_async(&script, vec![])
        .await
        .expect("run axe-core");
    assert_eq!(
        violations.as_array().map(Vec::len),
        Some(0),
        "axe-core: WCAG 2.1 A/AA violations on the {screen} screen: {violations:#}"
    );
}

/// One step of a journey, seen as a shopper or the staff would: at each of
/// the two widths the element `show` is scrolled into view, axe-core
/// checks the page and a screenshot is saved as `NAME-360.png` and
/// `NAME-1280.png`. The window ends wide again.
pub async fn step(client: &Client, name: &str, show: &str) {
    for (width, height) in [NARROW, WIDE] {
        client
            .set_window_size(width, height)
            .await
            .expect("resize the window");
        // The window's outer size is set; what counts is the page's width.
        let inner = client
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .expect("read the page's width");
        let inner = inner.as_u64().unwrap_or(0);
        assert!(
            inner <= u64::from(width) && inner + 40 >= u64::from(width),
            "{name}: the page is {inner} px wide in a {width} px window"
        );
        let element = client
            .find(Locator::Css(show))
            .await
            .unwrap_or_else(|_| panic!("{name}: nothing matches {show}"));
        client
            .execute(
                "arguments[0].scrollIntoView({ block: 'start' });",
                vec![serde_json::to_value(&element).expect("an element as JSON")],
            )
            .await
            .expect("scroll the step into view");
        assert_accessible(client, &format!("{name} at {width} px")).await;
        screenshot(client, &format!("{name}-{width}")).await;
    }
}

/// Types `text` into the field matching `css`, replacing what it held.
pub async fn fill(client: &Client, css: &str, text: &str) {
    let field = client
        .find(Locator::Css(css))
        .await
        .expect("find the field");
    field.clear().await.expect("clear the field");
    field.send_keys(text).await.expect("type into the field");
}

/// Clicks the element matching `css`.
pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("nothing matches {css}"))
        .click()
        .await
        .unwrap_or_else(|error| panic!("click {css}: {error}"));
}

/// Keys as WebDriver names them.
pub const TAB: char = '\u{E004}';
pub const ENTER: char = '\u{E007}';
pub const SPACE: char = '\u{E00D}';

/// The most Tab presses `tab_to` makes before it gives up.
const TABS_MAX: usize = 150;

/// Presses one key on the keyboard, wherever the focus is.
pub async fn press(client: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(actions).await.expect("press a key");
}

/// Presses Tab until the element matching `css` has the focus, as a
/// keyboard user would reach it; fails if it never does.
pub async fn tab_to(client: &Client, css: &str) {
    for _ in 0..TABS_MAX {
        let focused = client
            .execute(
                "return document.activeElement !== null && document.activeElement.matches(arguments[0]);",
                vec![serde_json::Value::from(css)],
            )
            .await
            .expect("read the focus");
        if focused == serde_json::Value::Bool(true) {
            return;
        }
        press(client, TAB).await;
    }
    panic!("{css} cannot be reached with the Tab key");
}

/// Types `text` into the focused field.
pub async fn type_text(client: &Client, text: &str) {
    client
        .active_element()
        .await
        .expect("the focused element")
        .send_keys(text)
        .await
        .expect("type into the focused field");
}

/// A WebDriver command fantoccini has no method for: `POST` to a path
/// under the session.
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Adds a virtual authenticator to the session (WebDriver's WebAuthn
/// extension): a platform authenticator (CTAP 2.1, internal) that keeps
/// resident keys, verifies its user (always successfully) and supports
/// the PRF extension, as a phone's or a laptop's would.
pub async fn add_virtual_authenticator(client: &Client) {
    client
        .issue_cmd(SessionPost {
            path: "webauthn/authenticator",
            body: serde_json::json!({
                "protocol": "ctap2_1",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
                "isUserConsenting": true,
                "extensions": ["prf"],
            }),
        })
        .await
        .expect("add a virtual authenticator");
}

/// Renders the page as for printing (Chrome DevTools' media emulation,
/// through ChromeDriver), or as for the screen again with `None`.
pub async fn emulate_media(client: &Client, media: Option<&str>) {
    client
        .issue_cmd(SessionPost {
            path: "goog/cdp/execute",
            body: serde_json::json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "media": media.unwrap_or("") },
            }),
        })
        .await
        .expect("emulate a media type");
}
