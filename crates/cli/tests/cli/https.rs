//! `fyd` over HTTPS with a private CA (`--ca-cert`, `FYD_CA_CERT`), a certificate it does not
//! trust, and plain HTTP: a password never goes unencrypted to another machine (exit 2 before
//! anything is sent, unless `--allow-insecure-http`), and a token gets one warning.
//!
//! The "other machine" is `fyd.invalid`, a name that never resolves (RFC 2606): nothing leaves
//! this machine whatever fyd does.

use fyd_test_support::tls::TestCa;
use fyd_test_support::PASSWORD;

use super::{Env, RECOMMEND};

const ELSEWHERE: &str = "http://fyd.invalid:8000";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn a_whole_session_runs_over_https_with_a_private_ca() {
    let ca = TestCa::new("fyd test CA");
    let env = Env::https(&ca);
    assert!(env.app.url.starts_with("https://"), "{}", env.app.url);
    let ca_file = ca.ca_file.to_str().unwrap();

    let joined = env
        .fyd()
        .env("FYD_CA_CERT", ca_file)
        .args(["join", "--email", "mina@example.com", "--nickname", "mina", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(joined.status.success(), "{}", stderr(&joined));
    assert_eq!(env.credentials()["server"], env.app.url.as_str());

    // The flag does what the variable does.
    let recommended = env.fyd().args(["--ca-cert", ca_file]).args(RECOMMEND).args(["--json"]).output().unwrap();
    assert!(recommended.status.success(), "{}", stderr(&recommended));
    let id = serde_json::from_slice::<serde_json::Value>(&recommended.stdout).unwrap()["detail"]["id"].as_u64().unwrap();
    let listed = env.fyd().env("FYD_CA_CERT", ca_file).arg("list").output().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with(&format!("{id}\t")));
    assert!(!stderr(&listed).contains("warning"), "{}", stderr(&listed));
    env.fyd().env("FYD_CA_CERT", ca_file).arg("logout").assert().success();
}

#[test]
fn a_certificate_fyd_does_not_trust_is_named_with_the_way_out() {
    let ca = TestCa::new("fyd test CA");
    let env = Env::https(&ca);
    let output =
        env.fyd().args(["login", "--email", "mina@example.com", "--password-stdin"]).write_stdin(format!("{PASSWORD}\n")).output().unwrap();
    assert_eq!(output.status.code(), Some(6));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&env.app.url) && message.contains("does not trust") && message.contains("--ca-cert"), "{message}");

    // A CA file that holds no certificate is a usage error, said before anything is sent.
    let (_, key) = ca.server_files();
    let output =
        env.fyd().args(["--ca-cert", key.to_str().unwrap(), "login", "--email", "mina@example.com", "--password-stdin"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--ca-cert"), "{}", stderr(&output));
}

#[test]
fn join_and_login_refuse_to_send_a_password_over_plain_http_to_another_machine() {
    let env = Env::new();
    for args in [
        &["join", "--email", "mina@example.com", "--nickname", "mina", "--password-stdin"][..],
        &["login", "--email", "mina@example.com", "--password-stdin"],
    ] {
        let output = env.fyd().args(["--server", ELSEWHERE]).args(args).write_stdin(format!("{PASSWORD}\n")).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let message = stderr(&output);
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains("unencrypted") && message.contains(ELSEWHERE) && message.contains("--allow-insecure-http"), "{message}");
        assert!(!env.credentials_path().exists());
    }

    // Told the network is trusted, fyd sends it: here it finds no such host (6), not a refusal.
    let output = env
        .fyd()
        .args(["--server", ELSEWHERE, "--allow-insecure-http", "login", "--email", "mina@example.com", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));

    // Plain HTTP on this machine is fine, by address or by name.
    let local = env.app.url.replace("127.0.0.1", "localhost");
    let output = env
        .fyd()
        .args(["--server", &local, "join", "--email", "mina@example.com", "--nickname", "mina", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
}

#[test]
fn other_commands_warn_once_when_a_token_would_cross_the_network_unencrypted() {
    let env = Env::new();
    env.join("mina@example.com", "mina");
    let output = env.fyd().args(["--server", ELSEWHERE, "whoami"]).output().unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", stderr(&output));
    let message = stderr(&output);
    assert_eq!(message.matches("warning").count(), 1, "{message}");
    assert!(message.lines().next().unwrap().contains("plain HTTP"), "{message}");

    let accepted = env.fyd().args(["--server", ELSEWHERE, "whoami"]).env("FYD_ALLOW_INSECURE_HTTP", "1").output().unwrap();
    assert_eq!(accepted.status.code(), Some(6));
    assert!(!stderr(&accepted).contains("warning"), "{}", stderr(&accepted));

    let local = env.fyd().arg("whoami").output().unwrap();
    assert!(local.status.success() && local.stderr.is_empty(), "{}", stderr(&local));
}
