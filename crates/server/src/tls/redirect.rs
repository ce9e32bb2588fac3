//! Plain HTTP on a second port (`--http-redirect-bind`): every request is answered with a
//! permanent redirect (308, which keeps the method and body) to the same host, path and query
//! over HTTPS, so `http://host/` in a browser lands on the API. Nothing else is served there:
//! the CLI refuses to send credentials over plain HTTP anyway.

use poem::http::{header, StatusCode};
use poem::{Endpoint, Request, Response};

/// Redirects to the HTTPS listener on `https_port` (left out of the URL when it is 443).
pub(crate) struct RedirectToHttps {
    pub https_port: u16,
}

impl RedirectToHttps {
    /// Where `request` should go instead, if its `Host` says where it was sent.
    fn location(&self, request: &Request) -> Option<String> {
        let host = request.uri().host().map(str::to_owned).or_else(|| {
            let host = request.header(header::HOST)?;
            // `[::1]:80` keeps its brackets; `example.com:80` loses its port.
            Some(match host.rsplit_once(':') {
                Some((name, port)) if !port.contains(']') => name.to_owned(),
                _ => host.to_owned(),
            })
        })?;
        if host.is_empty() {
            return None;
        }
        let port = if self.https_port == 443 { String::new() } else { format!(":{}", self.https_port) };
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        Some(format!("https://{host}{port}{path}"))
    }
}

impl Endpoint for RedirectToHttps {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        Ok(match self.location(&request) {
            Some(location) => Response::builder().status(StatusCode::PERMANENT_REDIRECT).header(header::LOCATION, location).finish(),
            None => Response::builder()
                .status(StatusCode::BAD_REQUEST)
                .content_type("application/json")
                .body(r#"{"detail":"a Host header is needed to redirect to HTTPS","code":"bad_request"}"#),
        })
    }
}
