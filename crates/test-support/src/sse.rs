//! Reading a recommendation's server-sent events as a client does: each `event:`/`data:` block
//! as a name and its JSON, with the instant it arrived.

use std::time::Instant;

use futures_util::StreamExt;
use serde_json::Value;

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub data: Value,
    pub at: Instant,
}

/// Every event of `response` until the stream ends; an error if the connection breaks first.
/// Comments (keep-alives) and blocks without data are skipped.
pub async fn events(response: reqwest::Response) -> Result<Vec<Event>, reqwest::Error> {
    let mut events = Vec::new();
    let mut buffer = String::new();
    let mut bytes = response.bytes_stream();
    while let Some(chunk) = bytes.next().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk?));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut name = "message".to_owned();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if !data.is_empty() {
                let data = serde_json::from_str(&data).unwrap_or_else(|err| panic!("event {name} is not JSON ({err}): {data}"));
                events.push(Event { name, data, at: Instant::now() });
            }
        }
    }
    Ok(events)
}
