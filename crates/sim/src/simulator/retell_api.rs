//! The one Retell request the simulator makes over HTTP, as the platform's
//! `outbound-calling` does: `POST /v2/create-phone-call` (the fake has no other way to
//! create a call). Loopback only, one connection per request, never retried.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// Largest reply body read.
const MAX_REPLY: usize = 1 << 20;

/// Why a create-call did not give a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateError {
    /// Nothing or no readable reply came back (connection, timeout, unreadable body).
    Network(String),
    /// Retell answered with an error status.
    Rejected { status: u16, message: String },
}

impl std::fmt::Display for CreateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CreateError::Network(why) => write!(f, "no answer from Retell: {why}"),
            CreateError::Rejected { status, message } => {
                write!(f, "Retell refused: {status} {message}")
            }
        }
    }
}

/// A minimal client for the fake Retell's create-call.
#[derive(Debug, Clone)]
pub struct RetellApi {
    authority: String,
    path_prefix: String,
    api_key: String,
    timeout: Duration,
}

impl RetellApi {
    /// `base_url` is the fake's `http://127.0.0.1:<port>[/prefix]`.
    pub fn new(base_url: &str, api_key: &str) -> Result<RetellApi, String> {
        let url = url::Url::parse(base_url).map_err(|e| format!("{base_url:?}: {e}"))?;
        if url.scheme() != "http" {
            return Err(format!(
                "{base_url:?}: the simulator only dials plain http fakes"
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("{base_url:?} has no host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| format!("{base_url:?} has no port"))?;
        Ok(RetellApi {
            authority: format!("{host}:{port}"),
            path_prefix: url.path().trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            timeout: Duration::from_secs(5),
        })
    }

    /// Creates a call; the 201 body on success.
    pub async fn create_call(&self, request: &Value) -> Result<Value, CreateError> {
        match tokio::time::timeout(self.timeout, self.send(request)).await {
            Ok(result) => result,
            Err(_) => Err(CreateError::Network(format!(
                "no reply within {:?}",
                self.timeout
            ))),
        }
    }

    async fn send(&self, request: &Value) -> Result<Value, CreateError> {
        let network = |e: &dyn std::fmt::Display| CreateError::Network(e.to_string());
        let stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| network(&e))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| network(&e))?;
        let driver = tokio::spawn(connection);
        let http_request = Request::post(format!("{}/v2/create-phone-call", self.path_prefix))
            .header(header::HOST, &self.authority)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.api_key))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(request.to_string()))
            .map_err(|e| network(&e))?;
        let reply = sender.send_request(http_request).await;
        let result = match reply {
            Ok(response) => {
                let status = response.status().as_u16();
                let bytes = axum::body::to_bytes(Body::new(response.into_body()), MAX_REPLY)
                    .await
                    .map_err(|e| network(&e))?;
                read_reply(status, &bytes)
            }
            Err(e) => Err(network(&e)),
        };
        driver.abort();
        result
    }
}

fn read_reply(status: u16, body: &[u8]) -> Result<Value, CreateError> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if status == 201 {
        return json
            .filter(|v| v["call_id"].is_string())
            .ok_or_else(|| CreateError::Network("a 201 without a call_id".to_string()));
    }
    let message = json
        .as_ref()
        .and_then(|v| v["message"].as_str())
        .map(launchdeck_core::redact::sanitize_provider_text)
        .unwrap_or_else(|| "no message".to_string());
    Err(CreateError::Rejected { status, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_parse() {
        let api = RetellApi::new("http://127.0.0.1:8700/retell/", "k");
        assert!(api.as_ref().is_ok_and(|a| a.path_prefix == "/retell"));
        assert!(RetellApi::new("https://api.retellai.com", "k").is_err());
        assert!(RetellApi::new("not a url", "k").is_err());
    }

    #[test]
    fn replies_are_read() {
        assert!(read_reply(201, br#"{"call_id":"call_1"}"#).is_ok());
        assert!(matches!(
            read_reply(201, b"{}"),
            Err(CreateError::Network(_))
        ));
        assert_eq!(
            read_reply(402, br#"{"status":"error","message":"Trial has ended"}"#),
            Err(CreateError::Rejected {
                status: 402,
                message: "Trial has ended".into()
            })
        );
        assert!(matches!(
            read_reply(502, b"<html>"),
            Err(CreateError::Rejected { status: 502, .. })
        ));
    }
}
