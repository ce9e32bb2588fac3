//! Share pages in a real headless Chromium at a phone's width, through Debian's chromedriver
//! (WebDriver, with fantoccini): the stops and their links are there, the page fits the screen
//! (a screenshot is taken), its style passes its own Content-Security-Policy, a revoked link
//! shows the 404 page, and script saved in a course never runs.
//!
//! Without `chromium` and `chromedriver` the tests say so and pass, except under CI (`CI` set),
//! whose `.ci/run` installs both.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use fyd_test_support::tls::free_port;
use fyd_test_support::{hostile_course_body, recommend_body, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A phone's CSS viewport (an iPhone 12–15's) and its device pixels per CSS pixel.
const PHONE: (u32, u32) = (390, 844);
const PIXEL_RATIO: u32 = 2;
const CHROMIUM: &str = "/usr/bin/chromium";

/// A headless Chromium driven by its own chromedriver on a free port, with a fresh profile.
struct Chromium {
    driver: Child,
    client: Option<Client>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// `None` where Chromium or its driver is not installed (and not under CI).
    async fn start() -> Option<Self> {
        let chromedriver = which("chromedriver");
        if !Path::new(CHROMIUM).exists() || chromedriver.is_none() {
            assert!(std::env::var_os("CI").is_none(), "chromium or chromedriver is missing on this CI machine (.ci/run installs them)");
            eprintln!("SKIPPED: no {CHROMIUM} or chromedriver (apt-get install chromium chromium-driver; .ci/run installs them)");
            return None;
        }
        let port = free_port();
        let driver = Command::new(chromedriver?)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--accept-lang=ko-KR,ko",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": args,
                // A headless window is at least 500 px wide; the phone's viewport comes from emulation.
                "mobileEmulation": {"deviceMetrics": {"width": PHONE.0, "height": PHONE.1, "pixelRatio": PIXEL_RATIO, "touch": true}},
            }),
        );
        let mut chromium = Self { driver, client: None, _profile: profile };
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector).capabilities(capabilities.clone()).connect(&format!("http://127.0.0.1:{port}")).await {
                Ok(client) => break client,
                Err(_) if started.elapsed() < Duration::from_secs(20) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(err) => panic!("no Chromium session through chromedriver after 20 s: {err}"),
            }
        };
        chromium.client = Some(client);
        Some(chromium)
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// Runs `script` in the page (WebDriver's own channel, which the page's CSP does not govern).
    async fn eval(&self, script: &str) -> Value {
        self.client().execute(script, vec![]).await.unwrap_or_else(|err| panic!("{script}: {err}"))
    }

    async fn text(&self, selector: &str) -> String {
        self.client().find(Locator::Css(selector)).await.unwrap().text().await.unwrap()
    }

    async fn close(mut self) {
        if let Some(client) = self.client.take() {
            client.close().await.unwrap();
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|path| path.is_file())
}

/// Width and height of a PNG, from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let number = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (number(16), number(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_course_opens_in_chromium_at_phone_width_and_a_revoked_link_shows_the_404_page() {
    let Some(chromium) = Chromium::start().await else { return };
    let app = TestApp::spawn().await;
    let owner = app.user_token("joon@example.com", "joon").await;
    let mut body = recommend_body("성수", "fall", "오후 2시", "오후 9시", "walk");
    body["date"] = json!("2026-11-28");
    body["save"] = json!(true);
    let id = app.post("/chat/chatbot/", Some(&owner), body).await.body["detail"]["id"].clone();
    let course = app.get(&format!("/chat/chat/{id}/"), Some(&owner)).await.body;
    let link = app.post(&format!("/chat/chat/{id}/share/"), Some(&owner), json!({})).await.body["url"].as_str().unwrap().to_owned();

    chromium.client().goto(&link).await.unwrap();
    assert_eq!(chromium.text("h1").await, course["title"].as_str().unwrap());
    assert_eq!(chromium.eval("return document.documentElement.lang").await, "ko", "Chromium asked for Korean");
    let stops = course["stops"].as_array().unwrap();
    let cards = chromium.client().find_all(Locator::Css("li.stop")).await.unwrap();
    assert_eq!(cards.len(), stops.len());
    for (card, stop) in cards.iter().zip(stops) {
        let text = card.text().await.unwrap();
        assert!(text.contains(stop["name"].as_str().unwrap()) && text.contains(stop["arrive"].as_str().unwrap()), "{text}");
        let link = card.find(Locator::Css("a.map")).await.unwrap();
        assert_eq!(link.attr("href").await.unwrap().as_deref(), stop["map_url"].as_str());
        assert!(link.is_displayed().await.unwrap());
    }
    assert_eq!(chromium.client().find_all(Locator::Css("li.leg")).await.unwrap().len(), stops.len() - 1);
    assert!(chromium.text("p.sun").await.contains("해 지는 시각"));

    // A phone's width: nothing sticks out sideways, and the page's own style is applied (so
    // its hash in the Content-Security-Policy is right: a blocked style leaves `main` unstyled).
    let layout = chromium.eval("return [window.innerWidth, document.documentElement.scrollWidth, getComputedStyle(document.querySelector('a.map')).borderTopStyle]").await;
    assert_eq!(layout[0], PHONE.0, "{layout}");
    assert!(layout[1].as_u64().unwrap() <= u64::from(PHONE.0), "wider than the screen: {layout}");
    assert_eq!(layout[2], "solid", "the page's style did not apply: {layout}");
    let screenshot = chromium.client().screenshot().await.unwrap();
    assert_eq!(png_size(&screenshot), (PHONE.0 * PIXEL_RATIO, PHONE.1 * PIXEL_RATIO), "a screenshot of the phone's screen");
    let shots = tempfile::tempdir().unwrap();
    let path = shots.path().join("share-page-390.png");
    std::fs::write(&path, &screenshot).unwrap();
    // To look at it: FYD_SCREENSHOT_DIR=/some/dir cargo test -p fyd-server --test share
    if let Some(keep) = std::env::var_os("FYD_SCREENSHOT_DIR") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&path, Path::new(&keep).join("share-page-390.png")).unwrap();
    }

    assert_eq!(app.delete(&format!("/chat/chat/{id}/share/"), Some(&owner)).await.status, StatusCode::NO_CONTENT);
    chromium.client().refresh().await.unwrap();
    assert_eq!(chromium.text("h1").await, "없는 링크예요", "a revoked link shows the 404 page");
    assert_eq!(chromium.client().find_all(Locator::Css("li.stop")).await.unwrap().len(), 0, "and nothing of the course");
    chromium.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_saved_in_a_course_never_runs_in_chromium() {
    let Some(chromium) = Chromium::start().await else { return };
    let app = TestApp::spawn().await;
    let token = app.user_token("mina@example.com", "mina").await;
    let course = app.post("/chat/chat/", Some(&token), hostile_course_body()).await.body;
    let link =
        app.post(&format!("/chat/chat/{}/share/", course["id"]), Some(&token), json!({})).await.body["url"].as_str().unwrap().to_owned();

    chromium.client().goto(&link).await.unwrap();
    // No element carries a handler (so no hover or click can run one either), and none of
    // the payloads' elements exist: they are text.
    let seen = chromium
        .eval(
            "return {xss: window.__xss === undefined ? null : window.__xss,
                     elements: document.querySelectorAll('script, img, svg, iframe, object, embed, b').length,
                     handlers: Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length,
                     links: Array.from(document.links).map(a => a.protocol),
                     title: document.querySelector('h1').textContent}",
        )
        .await;
    assert_eq!(seen["xss"], Value::Null, "a payload ran: {seen}");
    assert_eq!((seen["elements"].as_u64(), seen["handlers"].as_u64()), (Some(0), Some(0)), "{seen}");
    assert!(seen["links"].as_array().unwrap().iter().all(|p| p == "https:" || p == "http:"), "{seen}");
    assert_eq!(seen["title"], course["title"], "the title is shown as the text it is");
    chromium.close().await;
}
