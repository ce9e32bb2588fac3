//! Each command against the real server: the whole round trip, `--json`, paging, output on
//! a pipe and on a terminal, token refresh, and every documented exit code.

use fyd_core::render::unescape_html;
use fyd_test_support::{course_body, PASSWORD};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;

use super::{Env, RECOMMEND};

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
    let id = env.recommend_and_save().to_string();
    for args in [&RECOMMEND[..], &["list"], &["show", &id], &["whoami"]] {
        let output = env.fyd().args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
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
    env.app.advance(SignedDuration::from_mins(61));
    assert!(env.stdout(&["whoami"]).contains("mina"));
    let after = env.credentials();
    assert_ne!(after["access"], before["access"]);
    assert_ne!(after["refresh"], before["refresh"], "the CLI always rotates");
    // The rotated-away token is dead on the server.
    let reuse = env.app.block_on(env.app.post("/user/token/refresh/", None, json!({"refresh": before["refresh"]})));
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_dead_session_says_to_log_in_again() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let credentials = env.credentials();
    let logout =
        env.app.block_on(env.app.post("/user/logout/", credentials["access"].as_str(), json!({"refresh": credentials["refresh"]})));
    assert_eq!(logout.status, StatusCode::OK);
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
    let other = env.second_user();
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

/// On a terminal (a pseudo-terminal from util-linux `script`), `recommend` streams: each stop
/// is printed as it arrives, before the full table.
#[cfg(unix)]
#[test]
fn on_a_terminal_recommend_prints_stops_as_they_stream_in() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let screen = env.on_a_terminal("recommend --place 성수 --season fall --transport walk");
    let first_stop = screen.find("  14:00–").expect("a stop line as it streamed in");
    let table = screen.find('┌').expect("the table at the end");
    assert!(first_stop < table, "{screen}");
    assert!(screen.contains("Saved as course"), "{screen}");
    // `script` reports 0 columns: the table must still be readable, not wrapped to nothing.
    assert!(screen.lines().any(|line| line.contains("시간") && line.contains("장소") && line.contains("종류")), "{screen}");
}

/// The list's table speaks the language the courses are shown in.
#[cfg(unix)]
#[test]
fn on_a_terminal_the_list_table_follows_lang() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    assert!(env.on_a_terminal("list").contains("저장한 코스가 아직 없어요"));
    env.recommend_and_save();
    let korean = env.on_a_terminal("list");
    assert!(korean.lines().any(|line| line.contains("번호") && line.contains("제목") && line.contains("날짜·시간")), "{korean}");
    // The course's row, its window in Korean times.
    assert!(korean.lines().any(|line| line.contains("성수") && line.contains("오후 2시")), "{korean}");
    assert!(!korean.contains("Title"), "{korean}");
    let english = env.on_a_terminal("--lang en list");
    assert!(english.lines().any(|line| line.contains("ID") && line.contains("Title") && line.contains("When")), "{english}");
    assert!(english.lines().any(|line| line.contains("성수") && line.contains("2:00 PM")), "{english}");
    assert!(!english.contains("제목") && !english.contains("오후"), "{english}");
}

#[test]
fn list_pages_with_before() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let token = env.credentials()["access"].as_str().unwrap().to_owned();
    let ids: Vec<u64> =
        (0..5).map(|i| env.app.block_on(env.app.create_course(&token, &format!("코스 {i}")))["id"].as_u64().unwrap()).collect();
    let page =
        |args: &[&str]| -> Vec<u64> { env.stdout(args).lines().map(|line| line.split('\t').next().unwrap().parse().unwrap()).collect() };
    assert_eq!(page(&["list", "--limit", "2"]), [ids[4], ids[3]]);
    assert_eq!(page(&["list", "--limit", "2", "--before", &ids[3].to_string()]), [ids[2], ids[1]]);
    assert_eq!(page(&["list", "--limit", "2", "--before", &ids[1].to_string()]), [ids[0]]);
    let json = env.json(&["list", "--before", &ids[2].to_string()]);
    assert_eq!(json.as_array().unwrap().iter().map(|c| c["id"].as_u64().unwrap()).collect::<Vec<_>>(), [ids[1], ids[0]]);
    env.fyd().args(["list", "--before", "x"]).assert().code(2);
}

#[test]
fn show_prints_the_timeline_and_each_map_link_once_and_text_prints_the_answer_alone() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let id = env.recommend_and_save().to_string();
    let course = env.json(&["show", &id]);
    let shown = env.stdout(&["show", &id]);
    assert!(shown.starts_with(&format!("#{id} {}", course["title"].as_str().unwrap())), "{shown}");
    assert!(shown.contains("다음 장소까지"), "the timeline: {shown}");
    for stop in course["stops"].as_array().unwrap() {
        let (name, link) = (stop["name"].as_str().unwrap(), stop["map_url"].as_str().unwrap());
        assert_eq!(shown.matches(link).count(), 1, "{link} once in {shown}");
        let link_line = format!("  {name}  {link}");
        assert_eq!(shown.lines().filter(|line| *line == link_line).count(), 1, "{name}: one link line in {shown}");
        let row = shown.lines().filter(|line| line.contains(&format!("┆ {name} ")) || line.contains(&format!("| {name} "))).count();
        assert_eq!(row, 1, "{name}: one timeline row in {shown}");
    }
    let answer = unescape_html(course["answer"].as_str().unwrap());
    assert!(!shown.contains(answer.trim()), "the answer text repeats the stops; it is not shown: {shown}");

    let text = env.stdout(&["show", &id, "--text"]);
    assert_eq!(text, format!("{answer}\n"));
    assert!(!text.contains("&amp;") && !text.contains("&#39;"), "unescaped for the terminal");
}

#[test]
fn show_prints_the_answer_of_a_course_saved_without_stops() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let token = env.credentials()["access"].as_str().unwrap().to_owned();
    let reply = env.app.block_on(env.app.post("/chat/chat/", Some(&token), course_body("웹에서 저장한 코스")));
    let id = reply.body["id"].as_u64().unwrap().to_string();
    let answer = reply.body["answer"].as_str().unwrap();
    assert_eq!(env.stdout(&["show", &id]), format!("#{id} 웹에서 저장한 코스 · 오후 2시 ~ 오후 9시\n{answer}\n"));
}
