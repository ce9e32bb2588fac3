//! A local OpenAI-compatible server for tests: real HTTP on 127.0.0.1:0, the real wire format
//! (chat.completion JSON; chat.completion.chunk SSE ending with a usage chunk and
//! `data: [DONE]`; `{"error": …}` bodies with 429/500 and Retry-After), scripted per test.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{handler, post, Body, EndpointExt, Request, Response, Route};
use serde_json::{json, Value};

#[derive(Clone, Debug)]
pub enum Reply {
    /// A whole completion whose message content is this text.
    Json(String),
    /// This text as the request asks for it: a whole completion ([`Reply::Json`]), or
    /// streamed in pieces ([`Reply::stream`]) when the request says `"stream": true`.
    AsAsked(String),
    /// An SSE completion: these content pieces, the first after `first_delay`, then `gap`
    /// apart; with `break_after`, the connection is cut after that many pieces.
    Stream { pieces: Vec<String>, first_delay: Duration, gap: Duration, break_after: Option<usize> },
    /// An error status with OpenAI's error body (and Retry-After seconds, if any).
    Error(u16, Option<u64>),
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
}

impl Reply {
    /// `text` streamed in pieces of `size` characters.
    pub fn stream(text: &str, size: usize) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let pieces = chars.chunks(size).map(|c| c.iter().collect()).collect();
        Reply::Stream { pieces, first_delay: Duration::ZERO, gap: Duration::from_millis(2), break_after: None }
    }
}

#[derive(Default)]
struct Script {
    queue: VecDeque<Reply>,
    always: Option<Reply>,
    requests: Vec<(Value, Option<String>)>,
    first_piece_sent: Vec<Instant>,
}

#[derive(Clone)]
pub struct Upstream {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl Upstream {
    pub async fn start() -> Self {
        let script = Arc::new(Mutex::new(Script::default()));
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let app = Route::new().at("/v1/chat/completions", post(completions)).data(script.clone());
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
        Self { url: format!("http://{addr}/v1"), script }
    }

    /// Answers the next call with `reply` (calls take queued replies in order).
    pub fn push(&self, reply: Reply) {
        self.script.lock().unwrap().queue.push_back(reply);
    }

    /// Answers every call the queue does not cover with `reply`.
    pub fn always(&self, reply: Reply) {
        self.script.lock().unwrap().always = Some(reply);
    }

    /// The JSON bodies received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().unwrap().requests.iter().map(|(body, _)| body.clone()).collect()
    }

    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.script.lock().unwrap().requests.iter().map(|(_, auth)| auth.clone()).collect()
    }

    /// When each streamed reply sent its first content piece.
    pub fn first_pieces_sent(&self) -> Vec<Instant> {
        self.script.lock().unwrap().first_piece_sent.clone()
    }
}

#[handler]
async fn completions(request: &Request, body: poem::web::Json<Value>, Data(script): Data<&Arc<Mutex<Script>>>) -> Response {
    let auth = request.header("authorization").map(str::to_owned);
    let reply = {
        let mut script = script.lock().unwrap();
        script.requests.push((body.0.clone(), auth));
        script.queue.pop_front().or_else(|| script.always.clone()).unwrap_or(Reply::Error(500, None))
    };
    let model = body.0["model"].as_str().unwrap_or("model").to_owned();
    let streamed = body.0["stream"] == true;
    answer(reply, model, streamed, script.clone()).await
}

async fn answer(reply: Reply, model: String, streamed: bool, script: Arc<Mutex<Script>>) -> Response {
    match reply {
        Reply::Slow(wait, inner) => {
            tokio::time::sleep(wait).await;
            Box::pin(answer(*inner, model, streamed, script)).await
        }
        Reply::AsAsked(text) => {
            let reply = if streamed { Reply::stream(&text, 12) } else { Reply::Json(text) };
            Box::pin(answer(reply, model, streamed, script)).await
        }
        Reply::Error(status, retry_after) => {
            let kind = if status == 429 { "rate_limit_exceeded" } else { "server_error" };
            let mut response = Response::builder().status(StatusCode::from_u16(status).unwrap()).content_type("application/json").body(
                json!({"error": {"message": format!("test upstream says {status}"), "type": kind, "param": null, "code": kind}})
                    .to_string(),
            );
            if let Some(seconds) = retry_after {
                response.headers_mut().insert("retry-after", seconds.into());
            }
            response
        }
        Reply::Json(content) => {
            let body = json!({
                "id": "chatcmpl-test", "object": "chat.completion", "created": 1_790_000_000, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200}
            });
            Response::builder().content_type("application/json").body(body.to_string())
        }
        Reply::Stream { pieces, first_delay, gap, break_after } => {
            let chunk = |delta: Value, finish: Value| {
                let value = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_790_000_000, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
                format!("data: {value}\n\n")
            };
            let mut frames = vec![(Duration::ZERO, chunk(json!({"role": "assistant", "content": ""}), Value::Null), false)];
            for (i, piece) in pieces.iter().enumerate() {
                if break_after == Some(i) {
                    break;
                }
                let wait = if i == 0 { first_delay } else { gap };
                frames.push((wait, chunk(json!({"content": piece}), Value::Null), i == 0));
            }
            let broken = break_after.is_some();
            if !broken {
                frames.push((gap, chunk(json!({}), json!("stop")), false));
                let usage = json!({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1_790_000_000, "model": model,
                    "choices": [], "usage": {"prompt_tokens": 900, "completion_tokens": 300, "total_tokens": 1200}});
                frames.push((Duration::ZERO, format!("data: {usage}\n\n"), false));
                frames.push((Duration::ZERO, "data: [DONE]\n\n".to_owned(), false));
            }
            let frames = stream::iter(frames).then(move |(wait, frame, first)| {
                let script = script.clone();
                async move {
                    tokio::time::sleep(wait).await;
                    if first {
                        script.lock().unwrap().first_piece_sent.push(Instant::now());
                    }
                    Ok::<_, std::io::Error>(frame.into_bytes())
                }
            });
            // A broken stream ends with an I/O error, which cuts the connection mid-body.
            let tail = stream::iter(broken.then(|| Err(std::io::Error::other("connection reset by test"))));
            Response::builder()
                .content_type("text/event-stream")
                .body(Body::from_bytes_stream(frames.chain(tail).map(|r| r.map(bytes::Bytes::from))))
        }
    }
}
