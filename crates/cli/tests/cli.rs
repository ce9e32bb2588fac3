//! The real `fyd` binary (assert_cmd) against a real fyd-server on 127.0.0.1:0 with a
//! temporary data dir and a clock the test moves.

use std::path::PathBuf;
use std::sync::Arc;

use assert_cmd::Command;
use fyd_server::clock::ManualClock;
use fyd_server::{RunningServer, Settings};
use jiff::SignedDuration;
use serde_json::Value;

const PASSWORD: &str = "달빛산책-2024x";

struct Env {
    runtime: tokio::runtime::Runtime,
    server: Option<RunningServer>,
    url: String,
    clock: Arc<ManualClock>,
    config: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut settings = Settings::with_data_dir(data.path());
        settings.bind = "127.0.0.1:0".into();
        tweak(&mut settings);
        let clock = Arc::new(ManualClock::new("2026-11-26T03:00:00Z".parse().unwrap()));
        let server = runtime.block_on(fyd_server::spawn(settings, clock.clone())).unwrap();
        Self { url: server.url(), server: Some(server), runtime, clock, config: tempfile::tempdir().unwrap(), _data: data }
    }

    /// `fyd` talking to this server, with its own config dir, as a script would run it.
    fn fyd(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_fyd"));
        command.env("FYD_SERVER", &self.url).env("FYD_CONFIG_DIR", self.config.path()).env_remove("NO_COLOR");
        command
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
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            let _ = self.runtime.block_on(server.stop());
        }
    }
}

const RECOMMEND: [&str; 11] =
    ["recommend", "--place", "성수", "--season", "fall", "--start", "오후 2시", "--end", "오후 9시", "--transport", "walk"];

#[test]
fn join_recommend_list_show_delete_logout() {
    let env = Env::new();
    env.join("mina@example.com", "미나");
    assert!(env.stdout(&["whoami"]).contains("미나 <mina@example.com>"));

    let output = env.fyd().args(RECOMMEND).output().unwrap();
    assert!(output.status.success());
    let (stdout, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(stdout.contains("성수 가을 데이트") && stdout.contains("14:00–"), "{stdout}");
    assert!(stdout.contains("https://map.kakao.com/link/map/"), "{stdout}");
    assert!(stderr.contains("4 recommendation(s) left today"), "{stderr}");
    let id: u64 = stderr.split("Saved as course ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();

    let listed = env.stdout(&["list"]);
    let line: Vec<&str> = listed.lines().next().unwrap().split('\t').collect();
    assert_eq!((line[0], line[1], line[2]), (id.to_string().as_str(), "성수 가을 데이트", "오후 2시 ~ 오후 9시"));

    let shown = env.stdout(&["show", &id.to_string()]);
    assert!(shown.contains(&format!("#{id}")) && shown.contains("다음 장소까지"), "{shown}");
    assert!(!shown.contains("&amp;") && !shown.contains("&#39;"), "the answer is unescaped for the terminal");

    env.fyd().args(["delete", &id.to_string(), "--yes"]).assert().success();
    assert_eq!(env.stdout(&["list"]), "");
    env.fyd().arg("logout").assert().success();
    assert!(!env.credentials_path().exists());
    env.fyd().arg("whoami").assert().code(3);
}

#[test]
fn json_output_is_the_servers_json() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let recommended = env.json(&RECOMMEND);
    assert_eq!(recommended["result"], "success");
    let course = &recommended["detail"]["course"];
    assert!(course["stops"].as_array().unwrap().len() >= 3);
    let id = recommended["detail"]["id"].as_u64().unwrap();
    let listed = env.json(&["list"]);
    assert_eq!(listed[0]["id"], id);
    let shown = env.json(&["show", &id.to_string()]);
    assert_eq!(shown["stops"], course["stops"]);
    assert_eq!(env.json(&["whoami"])["quota"]["remaining"], 4);
}

#[test]
fn piped_output_has_no_escape_codes() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    for args in [&RECOMMEND[..], &["list"], &["show", "2"], &["whoami"]] {
        let output = env.fyd().args(args).output().unwrap();
        assert!(!output.stdout.contains(&0x1b) && !output.stderr.contains(&0x1b), "escape codes from {args:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_credentials_file_is_private_and_holds_no_password() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let mode = std::fs::metadata(env.credentials_path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(env.credentials_path()).unwrap();
    assert!(!text.contains(PASSWORD));
    assert_eq!(env.credentials()["email"], "mina@example.com");
}

#[test]
fn an_expired_access_token_is_refreshed_and_rotated_transparently() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let before = env.credentials();
    env.clock.advance(SignedDuration::from_mins(61));
    assert!(env.stdout(&["whoami"]).contains("mina"));
    let after = env.credentials();
    assert_ne!(after["access"], before["access"]);
    assert_ne!(after["refresh"], before["refresh"], "the CLI always rotates");
    // The rotated-away token is dead on the server.
    let client = reqwest::blocking::Client::new();
    let reuse =
        client.post(format!("{}/user/token/refresh/", env.url)).json(&serde_json::json!({"refresh": before["refresh"]})).send().unwrap();
    assert_eq!(reuse.status(), 401);
}

#[test]
fn a_dead_session_says_to_log_in_again() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let credentials = env.credentials();
    let client = reqwest::blocking::Client::new();
    let logout = client
        .post(format!("{}/user/logout/", env.url))
        .bearer_auth(credentials["access"].as_str().unwrap())
        .json(&serde_json::json!({"refresh": credentials["refresh"]}))
        .send()
        .unwrap();
    assert_eq!(logout.status(), 200);
    let assert = env.fyd().arg("whoami").assert().code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("log in") && stderr.lines().count() == 1, "{stderr}");
}

#[test]
fn each_exit_code_comes_from_a_real_situation() {
    let env = Env::with(|s| s.daily_quota = 1);
    // 3: not logged in; and a failed login.
    env.fyd().arg("list").assert().code(3).stderr(predicates::str::contains("fyd login"));
    env.join("mina@example.com", "mina");
    env.fyd().args(["login", "--email", "mina@example.com", "--password-stdin"]).write_stdin("wrong-password-1\n").assert().code(3);
    // 4: the daily quota, with when it resets.
    env.fyd().args(RECOMMEND).assert().success();
    env.fyd().args(RECOMMEND).assert().code(4).stderr(predicates::str::contains("2026-11-27T00:00:00"));
    // 5: no such course, and another user's course.
    env.fyd().args(["show", "999999"]).assert().code(5);
    let mine = env.json(&["list"])[0]["id"].as_u64().unwrap().to_string();
    let other = Env::second_user(&env);
    other.join("joon@example.com", "joon");
    other.fyd().args(["show", &mine]).assert().code(5);
    other.fyd().args(["delete", &mine, "--yes"]).assert().code(5);
    // 2: usage errors, from clap and from the local checks.
    env.fyd().arg("recommend").assert().code(2);
    env.fyd().args(["recommend", "--place", "성수", "--season", "monsoon"]).assert().code(2).stderr(predicates::str::contains("--season"));
    env.fyd().args(["delete", &mine]).assert().code(2).stderr(predicates::str::contains("--yes"));
    assert_eq!(env.json(&["list"]).as_array().unwrap().len(), 1, "nothing deleted without confirmation");
    // 1: anything else the server refuses (an unknown place), in one line.
    let unknown = env.fyd().args(["recommend", "--place", "성스", "--season", "fall"]).assert().code(1);
    let stderr = String::from_utf8_lossy(&unknown.get_output().stderr).into_owned();
    assert!(stderr.contains("성수") && stderr.lines().count() == 1, "{stderr}");
    // 6: the server cannot be reached, and the message names it.
    env.fyd()
        .args(["login", "--email", "mina@example.com", "--password-stdin", "--server", "http://127.0.0.1:9"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(6)
        .stderr(predicates::str::contains("http://127.0.0.1:9"));
}

#[test]
fn completions_generate_for_each_shell() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = env.stdout(&["completions", shell]);
        assert!(script.contains("recommend") && script.len() > 500, "{shell}");
    }
}

impl Env {
    /// Another config dir against the same server (a second user), sharing nothing else.
    fn second_user(env: &Env) -> Env {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        Env {
            runtime,
            server: None,
            url: env.url.clone(),
            clock: env.clock.clone(),
            config: tempfile::tempdir().unwrap(),
            _data: tempfile::tempdir().unwrap(),
        }
    }
}

/// On a terminal (a pseudo-terminal from util-linux `script`), `recommend` streams: each stop
/// is printed as it arrives, before the full table.
#[cfg(unix)]
#[test]
fn on_a_terminal_recommend_prints_stops_as_they_stream_in() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let command = format!("{} recommend --place 성수 --season fall --transport walk", env!("CARGO_BIN_EXE_fyd"));
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("FYD_SERVER", &env.url)
        .env("FYD_CONFIG_DIR", env.config.path())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .output()
        .expect("util-linux `script` runs (installed by .ci/run)");
    let screen = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{screen}");
    let first_stop = screen.find("  14:00–").expect("a stop line as it streamed in");
    let table = screen.find('┌').expect("the table at the end");
    assert!(first_stop < table, "{screen}");
    assert!(screen.contains("Saved as course"), "{screen}");
    // `script` reports 0 columns: the table must still be readable, not wrapped to nothing.
    assert!(screen.lines().any(|line| line.contains("시간") && line.contains("장소") && line.contains("종류")), "{screen}");
}
