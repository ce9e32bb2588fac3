//! `fyd share`, `fyd export --ics`, `fyd man`, and English output: against the real server, the
//! link `fyd share` prints opens (and stops opening after `--revoke`), the calendar goes to
//! stdout, and `--lang en` reads in English times throughout.

use reqwest::StatusCode;

use super::{Env, RECOMMEND};

/// The status of a GET of `url` (a share link) without any login.
fn status_of(env: &Env, url: &str) -> StatusCode {
    env.app.block_on(async { env.app.client.get(url).send().await.unwrap().status() })
}

#[test]
fn share_prints_a_link_anyone_can_open_and_revoke_ends_it() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let id = env.recommend_and_save().to_string();

    let output = env.fyd().args(["share", &id]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let url = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    assert!(url.starts_with(&format!("{}/s/", env.app.url)), "{url}");
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("fyd share {id} --revoke")));
    assert_eq!(status_of(&env, &url), StatusCode::OK);

    // Sharing again replaces the link, and says so.
    let again = env.fyd().args(["share", &id, "--expires", "7d", "--with-nickname"]).output().unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("earlier link no longer opens"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("until 2026-12-03 12:00"), "{}", String::from_utf8_lossy(&again.stderr));
    let newer = String::from_utf8(again.stdout).unwrap().trim().to_owned();
    assert_eq!((status_of(&env, &url), status_of(&env, &newer)), (StatusCode::NOT_FOUND, StatusCode::OK));
    let json = env.json(&["share", &id]);
    assert_eq!((json["replaced"].as_bool(), json["token"].as_str().map(str::len)), (Some(true), Some(43)));

    env.fyd().args(["share", &id, "--revoke"]).assert().success();
    assert_eq!(status_of(&env, json["url"].as_str().unwrap()), StatusCode::NOT_FOUND);

    env.fyd().args(["share", &id, "--expires", "30s"]).assert().code(2);
    env.fyd().args(["share", &id, "--expires", "soon"]).assert().code(2);
    env.fyd().args(["share", "999"]).assert().code(5);
    let joon = env.second_user();
    joon.join("joon@example.com", "joon");
    joon.fyd().args(["share", &id]).assert().code(5);
    joon.fyd().args(["share", &id, "--revoke"]).assert().code(5);
}

#[test]
fn export_writes_the_course_as_a_calendar_file() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let dated = env.json(&[&RECOMMEND[..], &["--date", "2026-11-28"]].concat())["detail"]["id"].to_string();
    let calendar = env.stdout(&["export", &dated, "--ics"]);
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n") && calendar.ends_with("END:VCALENDAR\r\n"));
    assert!(calendar.contains("DTSTART;TZID=Asia/Seoul:20261128T1400"), "{calendar}");
    let stops = env.json(&["show", &dated])["stops"].as_array().unwrap().len();
    assert_eq!(calendar.matches("BEGIN:VEVENT").count(), stops);
    assert!(calendar.contains("다음 장소까지"));
    assert!(env.stdout(&["--lang", "en", "export", &dated, "--ics"]).contains("On to the next stop"));

    // A course planned for a season needs the day.
    let season = env.recommend_and_save().to_string();
    let output = env.fyd().args(["export", &season, "--ics"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--date"), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(env.stdout(&["export", &season, "--ics", "--date", "2026-10-03"]).contains(":20261003T14"));
    env.fyd().args(["export", &season, "--ics", "--date", "tomorrow"]).assert().code(2);
    env.fyd().args(["export", &season]).assert().code(2);
    env.fyd().args(["export", "999", "--ics", "--date", "2026-10-03"]).assert().code(5);
}

#[test]
fn man_prints_the_manual_or_writes_a_page_per_command() {
    let env = Env::new();
    let page = env.stdout(&["man"]);
    assert!(page.contains(".TH fyd 1") && page.contains("fyd\\-share"), "{page}");
    assert!(page.contains("FYD_SERVER") && page.contains("Exit status"), "the environment and exit codes are in it");
    let dir = tempfile::tempdir().unwrap();
    env.fyd().args(["man", "--out-dir"]).arg(dir.path()).assert().success();
    for page in ["fyd.1", "fyd-share.1", "fyd-export.1", "fyd-recommend.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|err| panic!("{page}: {err}"));
        assert!(text.contains(".TH "), "{page}");
    }
    assert!(std::fs::read_to_string(dir.path().join("fyd-share.1")).unwrap().contains("\\-\\-revoke"));
}

#[test]
fn english_output_has_english_times_throughout() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let english = env.stdout(&[&["--lang", "en"], &RECOMMEND[..]].concat());
    assert!(english.contains("fall date · 2:00 PM – 9:00 PM"), "{english}");
    assert!(english.contains("2:00 PM–") && !english.contains("오후") && !english.contains("오전"), "{english}");

    // A course planned in Korean reads in English when asked, and the other way round.
    let korean = env.recommend_and_save().to_string();
    let shown = env.stdout(&["--lang", "en", "show", &korean]);
    assert!(shown.lines().next().unwrap().ends_with("2:00 PM – 9:00 PM") && !shown.contains("오후"), "{shown}");
    let listed = env.stdout(&["--lang", "en", "list"]);
    assert!(listed.lines().all(|line| line.contains("\t2:00 PM – 9:00 PM\t")), "{listed}");
    assert!(env.stdout(&["list"]).lines().all(|line| line.contains("\t오후 2시 ~ 오후 9시\t")));
}
