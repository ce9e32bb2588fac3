//! The real `fyd-server` binary as a child process: started on 127.0.0.1:0, the address read
//! from its first stdout line, sent SIGHUP, stopped with SIGTERM or killed with SIGKILL. Unix
//! only.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

pub struct Process {
    child: Child,
    pub url: String,
}

impl Process {
    /// Starts `binary` (the server's tests pass `env!("CARGO_BIN_EXE_fyd-server")`) on
    /// `data_dir` with extra `args`.
    pub fn start(binary: &str, data_dir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(binary, data_dir, args, &[])
    }

    /// As [`Process::start`], with extra environment variables (`FYD_JWT_SECRET`,
    /// `FYD_DATABASE_URL`: settings that are never flags or should not be).
    pub fn start_with_env(binary: &str, data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(binary);
        command.env("RUST_LOG", "warn").env_remove("FYD_OPENAI_API_KEY").env_remove("OPENAI_API_KEY").envs(env.iter().copied());
        Self::spawn(command.stderr(Stdio::null()), data_dir, args)
    }

    /// As [`Process::start`], with the server's `info` log written to `log`.
    pub fn start_logging(binary: &str, data_dir: &Path, args: &[&str], log: &Path) -> Self {
        Self::start_logging_with_env(binary, data_dir, args, log, &[])
    }

    /// As [`Process::start_logging`], with extra environment variables.
    pub fn start_logging_with_env(binary: &str, data_dir: &Path, args: &[&str], log: &Path, env: &[(&str, &str)]) -> Self {
        let log = std::fs::File::create(log).expect("the log file");
        let mut command = Command::new(binary);
        command.env("RUST_LOG", "info").env("NO_COLOR", "1").envs(env.iter().copied());
        Self::spawn(command.stderr(log), data_dir, args)
    }

    fn spawn(command: &mut Command, data_dir: &Path, args: &[&str]) -> Self {
        let mut child = command
            .args(["--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("fyd-server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("fyd-server listening on ").expect("the address is printed").to_owned();
        Self { child, url }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on a child we spawned and have not reaped yet.
        assert_eq!(unsafe { libc::kill(self.child.id() as libc::pid_t, signal) }, 0);
    }

    /// SIGHUP: read the TLS certificate files again.
    pub fn hangup(&self) {
        self.signal(libc::SIGHUP);
    }

    /// SIGTERM: a graceful stop.
    pub fn terminate(mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.child.wait().unwrap()
    }

    /// SIGKILL: no chance to flush or clean up anything.
    pub fn kill_9(mut self) {
        self.signal(libc::SIGKILL);
        self.child.wait().unwrap();
    }
}
