//! Live connections: graphql-ws (`graphql-transport-ws`) on the GraphQL
//! endpoint, with the protocol's own close codes for a refused caller, small
//! buffers, and a connection closed when it never says who it is.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::str::FromStr;

use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocket, WebSocketProtocols, WsMessage};
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt, future};

use super::identify;
use crate::caller::Caller;
use crate::graphql::{AppState, GridgovSchema, connection_data};

/// The largest message a client may send: a subscription document and its
/// variables, nothing like a page of data.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Per-connection socket buffers: a few small messages, not the library's
/// default of 128 KiB each way.
const BUFFER_BYTES: usize = 8 * 1024;
/// A connection that has not sent `connection_init` by then is closed (4408).
const INIT_WITHIN: Duration = Duration::from_secs(10);

/// What `on_connection_init` answers a refused caller, and what the close
/// frame then says; graphql-ws closes a forbidden init with 4403.
const REFUSED: &str = "a valid, unexpired token is required";

pub async fn upgrade(
    parts: &mut Parts,
    schema: GridgovSchema,
    app: AppState,
    header_caller: Option<Caller>,
) -> Response {
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .split(',')
                .find_map(|name| WebSocketProtocols::from_str(name.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return (
            StatusCode::BAD_REQUEST,
            "ask for the graphql-transport-ws (or graphql-ws) subprotocol",
        )
            .into_response();
    };
    let address = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|axum::extract::ConnectInfo(address)| address.ip().to_string());
    let upgrade = match WebSocketUpgrade::from_request_parts(parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(err) => return err.into_response(),
    };
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_write_buffer_size(MAX_MESSAGE_BYTES * 4)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            let _open = app.metrics.subscription_opened();
            let (mut sink, stream) = socket.split();
            let input = stream
                .take_while(|message| future::ready(message.is_ok()))
                .filter_map(|message| {
                    future::ready(match message {
                        Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                            Some(message.into_data())
                        }
                        _ => None,
                    })
                });
            let initialised = Arc::new(AtomicBool::new(false));
            let seen = initialised.clone();
            let mut output = WebSocket::new(schema, input, protocol).on_connection_init(
                move |payload| async move {
                    seen.store(true, Ordering::Relaxed);
                    let caller = match bearer_in(&payload) {
                        Some(token) => identify(&app, &token).await.ok().flatten(),
                        None => header_caller,
                    }
                    .map(|caller| Caller { address, ..caller });
                    // A live connection outlasts any clock skew the token
                    // check allows for: a token past its expiry opens none.
                    match caller {
                        Some(caller) if caller.is_live() => {
                            Ok(connection_data(app.access(Some(caller))))
                        }
                        _ => Err(async_graphql::Error::new(REFUSED)),
                    }
                },
            );
            let deadline = tokio::time::sleep(INIT_WITHIN);
            tokio::pin!(deadline);
            loop {
                let message = tokio::select! {
                    message = output.next() => message,
                    () = &mut deadline, if !initialised.load(Ordering::Relaxed) => {
                        Some(WsMessage::Close(4408, "connection initialisation timeout".to_owned()))
                    }
                };
                let Some(message) = message else { break };
                let (frame, last) = match message {
                    WsMessage::Text(text) => (Message::Text(text.into()), false),
                    WsMessage::Close(code, reason) => {
                        let code = match code {
                            1002 if reason == REFUSED => 4403,
                            // A subscribe before the handshake: unauthorised.
                            1011 => 4401,
                            code => code,
                        };
                        let frame = CloseFrame {
                            code,
                            reason: reason.into(),
                        };
                        (Message::Close(Some(frame)), true)
                    }
                };
                if sink.send(frame).await.is_err() || last {
                    break;
                }
            }
        })
}

/// The token a graphql-ws `connection_init` carries: `{"Authorization":
/// "Bearer …"}` (any case) or `{"token": "…"}`.
fn bearer_in(payload: &serde_json::Value) -> Option<String> {
    let object = payload.as_object()?;
    object.iter().find_map(|(key, value)| {
        let value = value.as_str()?;
        match key.to_ascii_lowercase().as_str() {
            "authorization" => Some(
                value
                    .strip_prefix("Bearer ")
                    .unwrap_or(value)
                    .trim()
                    .to_owned(),
            ),
            "token" => Some(value.trim().to_owned()),
            _ => None,
        }
    })
}
