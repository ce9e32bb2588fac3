//! `fyd`: plan, save and browse date courses from a terminal or a script.
//!
//! This crate owns the command line, the local credentials file and the HTTP client; it
//! must not store courses itself (that is the server's) nor plan them (that is `fyd-core`'s).

use clap::Parser;

#[derive(Parser)]
#[command(name = "fyd", version, about = "fyd (For Your Date): plan a date course in Korea.")]
struct Cli {
    /// fyd server to talk to.
    #[arg(long, env = "FYD_SERVER", default_value = "http://127.0.0.1:8000", global = true)]
    server: String,
}

fn main() {
    let _cli = Cli::parse();
}
