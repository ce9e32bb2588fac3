//! The real `fyd` binary (assert_cmd) against the real fyd-server, in-process on 127.0.0.1:0
//! with a temporary data dir and a clock the test moves (`fyd_test_support::BackgroundApp`).
//! One test binary: `commands` drives each command and its exit codes, `pipes` closes stdout
//! under each printing command, `https` talks to the server over HTTPS (a private CA made at
//! test time) and checks what fyd refuses to send over plain HTTP, `share` shares, exports and
//! prints the manual, and reads in English when asked.

mod commands;
mod https;
mod pipes;
mod share;

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use fyd_test_support::tls::TestCa;
use fyd_test_support::{BackgroundApp, Settings, PASSWORD};
use serde_json::Value;

/// `fyd recommend` for the course most tests want: 성수 in the fall, 오후 2시–9시, on foot.
const RECOMMEND: [&str; 11] =
    ["recommend", "--place", "성수", "--season", "fall", "--start", "오후 2시", "--end", "오후 9시", "--transport", "walk"];

/// One user's `fyd`: its own config dir, against a server it may share with other users.
struct Env {
    app: Arc<BackgroundApp>,
    config: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(tweak: impl FnOnce(&mut Settings)) -> Self {
        Self { app: Arc::new(BackgroundApp::start(tweak)), config: tempfile::tempdir().unwrap() }
    }

    /// A server on HTTPS with a certificate from `ca` (which `fyd` trusts only when told).
    fn https(ca: &TestCa) -> Self {
        Self { app: Arc::new(BackgroundApp::start_https(ca, |_| {})), config: tempfile::tempdir().unwrap() }
    }

    /// Another user (a config dir of their own) on the same server.
    fn second_user(&self) -> Self {
        Self { app: self.app.clone(), config: tempfile::tempdir().unwrap() }
    }

    /// `fyd` talking to this server, with its own config dir, as a script would run it.
    fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fyd"));
        command.env("FYD_SERVER", &self.app.url).env("FYD_CONFIG_DIR", self.config.path()).env_remove("NO_COLOR").stdin(Stdio::null());
        command
    }

    fn fyd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command())
    }

    fn join(&self, email: &str, nickname: &str) {
        self.fyd()
            .args(["join", "--email", email, "--nickname", nickname, "--password-stdin"])
            .write_stdin(format!("{PASSWORD}\n"))
            .assert()
            .success();
    }

    fn credentials_path(&self) -> PathBuf {
        self.config.path().join("credentials.json")
    }

    fn credentials(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.credentials_path()).unwrap()).unwrap()
    }

    fn stdout(&self, args: &[&str]) -> String {
        let output = self.fyd().args(args).output().unwrap();
        assert!(output.status.success(), "fyd {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        serde_json::from_str(&self.stdout(&with_json)).unwrap()
    }

    /// What `fyd ARGS` shows on a pseudo-terminal (util-linux `script`), where it draws tables
    /// and streams; asserts that it succeeded.
    #[cfg(unix)]
    fn on_a_terminal(&self, args: &str) -> String {
        let command = format!("{} {args}", env!("CARGO_BIN_EXE_fyd"));
        let output = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env("FYD_SERVER", &self.app.url)
            .env("FYD_CONFIG_DIR", self.config.path())
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            .output()
            .expect("util-linux `script` runs (installed by .ci/run)");
        let screen = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "fyd {args}: {screen}");
        screen
    }

    /// The id of a course recommended (and saved) for this user.
    fn recommend_and_save(&self) -> u64 {
        self.json(&RECOMMEND)["detail"]["id"].as_u64().expect("a saved course's id")
    }
}
