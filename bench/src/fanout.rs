//! Live fan-out at city scale: grid workers subscribed to `taskAssigned`
//! over graphql-ws (several connections per worker when there are more
//! subscribers than workers), a campaign sent to the whole city, and how
//! long after the sender's request and its answer each subscriber has
//! its assignment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::client::Api;
use crate::scenarios::chrono_like_deadline;

const SEND: &str = "mutation($input: SendTaskInput!) { sendTask(input: $input) {
    task { id } userErrors { code message } } }";

/// One round: a campaign to every grid, timed.
#[derive(Debug, Serialize)]
pub struct Round {
    pub subscribers: usize,
    /// Subscribers that had their assignment before the wait ran out.
    pub delivered: usize,
    /// The sender's request, sent to answered.
    pub answer_ms: f64,
    /// From the request sent (the commit is inside it).
    pub after_request_p50_ms: f64,
    pub after_request_max_ms: f64,
    /// From the answer received (the commit is before it).
    pub after_answer_p50_ms: f64,
    pub after_answer_p99_ms: f64,
    pub after_answer_max_ms: f64,
}

/// What a subscriber's connection reports: its index, and when it heard
/// of an assignment. Rounds follow one another, each after the last
/// subscriber heard of the one before, so an event belongs to the round
/// that is on.
type Heard = (usize, Instant);

/// Every grid's code, as `token` sees them on the map.
async fn grid_codes(api: &Api, token: &str) -> anyhow::Result<Vec<String>> {
    let mut codes = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = api
            .data(
                token,
                "query($after: String) { grids(first: 100, after: $after) {
                    pageInfo { endCursor hasNextPage } edges { node { code } } } }",
                json!({"after": after}),
            )
            .await?;
        let page = &data["grids"];
        for edge in page["edges"].as_array().into_iter().flatten() {
            if let Some(code) = edge["node"]["code"].as_str() {
                codes.push(code.to_owned());
            }
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(codes);
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

/// Opens one graphql-ws connection as `token`, subscribes, and reports
/// every assignment heard until the socket closes.
async fn subscriber(
    url: String,
    subscription: Arc<String>,
    token: String,
    index: usize,
    heard: mpsc::UnboundedSender<Heard>,
    ready: mpsc::UnboundedSender<anyhow::Result<()>>,
) {
    let opened = async {
        let mut request = url.into_client_request()?;
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let text = |value: Value| Message::Text(value.to_string().into());
        socket
            .send(text(json!({"type": "connection_init",
                "payload": {"Authorization": format!("Bearer {token}")}})))
            .await?;
        match socket.next().await {
            Some(Ok(Message::Text(ack))) if ack.contains("connection_ack") => {}
            other => bail!("no connection_ack: {other:?}"),
        }
        socket
            .send(text(json!({"id": "1", "type": "subscribe",
                "payload": {"query": subscription.as_str()}})))
            .await?;
        Ok(socket)
    }
    .await;
    let mut socket = match opened {
        Ok(socket) => {
            let _ = ready.send(Ok(()));
            socket
        }
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    drop(ready);
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let at = Instant::now();
        let Ok(message) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        match message["type"].as_str() {
            Some("ping") => {
                let pong = Message::Text(json!({"type": "pong"}).to_string().into());
                if socket.send(pong).await.is_err() {
                    return;
                }
            }
            Some("next") => {
                if message["payload"]["data"]["taskAssigned"].is_object() {
                    let _ = heard.send((index, at));
                } else {
                    eprintln!("subscriber {index}: {message}");
                }
            }
            _ => {
                eprintln!("subscriber {index}: {message}");
                return;
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Sends a campaign to `districts` as `sender`; when the request went and
/// the answer came.
async fn send(api: &Api, sender: &str, districts: &[String]) -> anyhow::Result<(Instant, Instant)> {
    let input = json!({"input": {"title": "全城排查", "body": "请本网格完成一次排查。", "kind": "CAMPAIGN",
        "targetPerGrid": 1, "deadlineAt": chrono_like_deadline(), "targets": {"areas": districts}}});
    let sent = Instant::now();
    let data = api.data(sender, SEND, input).await?;
    let answered = Instant::now();
    data["sendTask"]["task"]["id"]
        .as_str()
        .with_context(|| format!("the campaign was not sent: {data}"))?;
    Ok((sent, answered))
}

/// Waits until every subscriber has heard of the round's campaign or
/// `wait` passes; when each heard, by subscriber.
async fn collect(
    heard: &mut mpsc::UnboundedReceiver<Heard>,
    subscribers: usize,
    wait: Duration,
) -> Vec<Option<Instant>> {
    let mut when = vec![None; subscribers];
    let mut left = subscribers;
    let deadline = tokio::time::Instant::now() + wait;
    while left > 0 {
        match tokio::time::timeout_at(deadline, heard.recv()).await {
            Ok(Some((index, at))) => {
                if when[index].replace(at).is_none() {
                    left -= 1;
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
    when
}

/// Runs the rounds; `selection` is what each subscriber asks of its
/// assignment (`taskAssigned { … }`).
pub async fn run(
    base_url: &str,
    subscribers: usize,
    rounds: usize,
    sender_name: &str,
    selection: &str,
) -> anyhow::Result<Vec<Round>> {
    let subscription = Arc::new(format!("subscription {{ taskAssigned {{ {selection} }} }}"));
    let api = Api::new(base_url)?;
    let sender = api.login(sender_name).await?;
    let grids = grid_codes(&api, &sender).await?;
    if grids.is_empty() {
        bail!("{sender_name} sees no grids");
    }
    let mut districts: Vec<String> = grids.iter().map(|code| code[..6].to_owned()).collect();
    districts.dedup();
    eprintln!(
        "{} grids in {} districts; signing in their workers",
        grids.len(),
        districts.len()
    );
    let workers = grids.len().min(subscribers);
    let limit = Arc::new(Semaphore::new(8));
    let mut logins = tokio::task::JoinSet::new();
    for (index, grid) in grids.iter().take(workers).enumerate() {
        let (api, limit, name) = (api.clone(), limit.clone(), format!("worker-{grid}"));
        logins.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            anyhow::Ok((index, api.login(&name).await?))
        });
    }
    let mut tokens = vec![String::new(); workers];
    while let Some(login) = logins.join_next().await {
        let (index, token) = login??;
        tokens[index] = token;
    }
    eprintln!("opening {subscribers} subscriptions");
    let ws_url = format!(
        "{}/graphql",
        base_url.trim_end_matches('/').replacen("http", "ws", 1)
    );
    let (heard_tx, mut heard) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    for index in 0..subscribers {
        let token = tokens[index % workers].clone();
        tokio::spawn(subscriber(
            ws_url.clone(),
            subscription.clone(),
            token,
            index,
            heard_tx.clone(),
            ready_tx.clone(),
        ));
        if index % 100 == 99 {
            // Not all at once: the server's accept queue is finite.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop(ready_tx);
    let mut opened = 0;
    while let Some(result) = ready.recv().await {
        result?;
        opened += 1;
    }
    if opened != subscribers {
        bail!("only {opened} of {subscribers} subscriptions opened");
    }
    // A subscribe is not acknowledged: a first campaign, not timed, shows
    // every subscription listening.
    tokio::time::sleep(Duration::from_secs(1)).await;
    send(&api, &sender, &districts).await?;
    let warm = collect(&mut heard, subscribers, Duration::from_secs(60)).await;
    let deaf = warm.iter().filter(|at| at.is_none()).count();
    if deaf > 0 {
        bail!("{deaf} of {subscribers} subscribers never heard the first campaign");
    }
    let mut results = Vec::new();
    for round in 1..=rounds {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (sent, answered) = send(&api, &sender, &districts).await?;
        let when = collect(&mut heard, subscribers, Duration::from_secs(60)).await;
        let ms = |from: Instant| {
            let mut all: Vec<f64> = when
                .iter()
                .flatten()
                .map(|at| at.saturating_duration_since(from).as_secs_f64() * 1000.0)
                .collect();
            all.sort_by(f64::total_cmp);
            all
        };
        let (after_request, after_answer) = (ms(sent), ms(answered));
        let result = Round {
            subscribers,
            delivered: when.iter().flatten().count(),
            answer_ms: (answered - sent).as_secs_f64() * 1000.0,
            after_request_p50_ms: percentile(&after_request, 50.0),
            after_request_max_ms: percentile(&after_request, 100.0),
            after_answer_p50_ms: percentile(&after_answer, 50.0),
            after_answer_p99_ms: percentile(&after_answer, 99.0),
            after_answer_max_ms: percentile(&after_answer, 100.0),
        };
        eprintln!(
            "round {round}: {}/{} delivered; answer {:.0} ms; after the request p50 {:.0} ms, last {:.0} ms; after the answer p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms",
            result.delivered,
            subscribers,
            result.answer_ms,
            result.after_request_p50_ms,
            result.after_request_max_ms,
            result.after_answer_p50_ms,
            result.after_answer_p99_ms,
            result.after_answer_max_ms
        );
        results.push(result);
    }
    if let Some(short) = results.iter().find(|round| round.delivered < subscribers) {
        bail!(
            "a campaign reached {} of {subscribers} subscribers within a minute",
            short.delivered
        );
    }
    Ok(results)
}
