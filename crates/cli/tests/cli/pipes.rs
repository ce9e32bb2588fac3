//! `fyd` with a reader that stops early (`fyd list | head -1`): every command that prints ends
//! quietly with 141 — what a shell reports for a program stopped by SIGPIPE — with nothing on
//! stderr: no panic, no backtrace.

use std::io::Read;
use std::process::{Output, Stdio};

use fyd_test_support::{course_body, PASSWORD};
use serde_json::json;

use super::{Env, RECOMMEND};

const CLOSED_STDOUT: i32 = 141;

/// Runs `fyd args` with its stdout a pipe whose reader is gone before fyd writes a byte.
fn with_closed_stdout(env: &Env, args: &[&str], stdin: Option<&str>) -> Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = env.command();
    command.args(args).stdout(writer).stderr(Stdio::piped());
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    let mut child = command.spawn().unwrap();
    drop(command);
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn assert_quiet(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(CLOSED_STDOUT), "{what}: {stderr}");
    assert_eq!(stderr, "", "{what}");
}

#[test]
fn every_printing_command_ends_quietly_when_stdout_is_closed() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let id = env.recommend_and_save().to_string();
    let doomed = env.recommend_and_save().to_string();
    let password = format!("{PASSWORD}\n");
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec!["whoami"], None),
        (vec!["whoami", "--json"], None),
        (RECOMMEND.to_vec(), None),
        ([&RECOMMEND[..], &["--json"]].concat(), None),
        (vec!["list"], None),
        (vec!["list", "--json"], None),
        (vec!["show", &id], None),
        (vec!["show", &id, "--text"], None),
        (vec!["show", &id, "--json"], None),
        (vec!["delete", &doomed, "--yes", "--json"], None),
        (vec!["share", &id], None),
        (vec!["share", &id, "--json"], None),
        (vec!["export", &id, "--ics", "--date", "2026-10-03"], None),
        (vec!["login", "--email", "mina@example.com", "--password-stdin", "--json"], Some(&password)),
        (vec!["join", "--email", "joon@example.com", "--nickname", "joon", "--password-stdin", "--json"], Some(&password)),
        (vec!["man"], None),
        (vec!["completions", "bash"], None),
        (vec!["--help"], None),
        (vec!["help", "list"], None),
        (vec!["--version"], None),
    ];
    for (args, stdin) in cases {
        assert_quiet(&with_closed_stdout(&env, &args, stdin), &args.join(" "));
    }
    // The commands did their work before they found nobody reading.
    env.fyd().args(["show", &doomed]).assert().code(5);
    assert_eq!(env.credentials()["email"], "joon@example.com");
}

/// The report that started it: `fyd list --json | head -c 300` on a list larger than a pipe
/// holds, so fyd is still writing when the reader goes.
#[test]
fn a_reader_that_stops_after_300_bytes_of_a_long_list_ends_fyd_quietly() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let token = env.credentials()["access"].as_str().unwrap().to_owned();
    let mut body = course_body("긴 코스");
    body["answer"] = json!("서울숲을 걷고 카페거리에서 쉬어 가는 코스. ".repeat(40));
    for _ in 0..100 {
        assert_eq!(env.app.block_on(env.app.post("/chat/chat/", Some(&token), body.clone())).status, 201);
    }
    let mut child = env.command().args(["list", "--limit", "100", "--json"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut head = [0; 300];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The reader is dropped here, with more than a pipe's 64 KiB still to come.
    let output = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&head).starts_with('['));
    assert_quiet(&output, "list --json | head -c 300");
}
