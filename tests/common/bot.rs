//! A fake Telegram Bot API on a local port: it answers as scripted and keeps what it
//! was sent (messages as their JSON, files as their multipart text).

pub type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, serde_json::Value)>>>;

/// The text messages a fake Bot API was sent (not the files).
pub fn messages(seen: &Seen) -> Vec<(String, serde_json::Value)> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|(_, b)| b.get("text").is_some())
        .cloned()
        .collect()
}

/// The files a fake Bot API was sent: each upload's multipart body.
pub fn documents(seen: &Seen) -> Vec<String> {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|(bot, _)| bot.ends_with("/sendDocument"))
        .map(|(_, b)| b["multipart"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A stand-in for the Telegram Bot API: records what it receives, answers `ok` (or 401).
pub async fn fake_telegram(ok: bool) -> (String, Seen) {
    let answer = if ok {
        (200, serde_json::json!({"ok": true, "result": {}}))
    } else {
        (
            401,
            serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        )
    };
    scripted_telegram(vec![answer]).await
}

/// A Bot API that gives these answers in turn (the last one from then on), and keeps
/// what it was sent.
pub async fn scripted_telegram(answers: Vec<(u16, serde_json::Value)>) -> (String, Seen) {
    use axum::extract::{Json, Path, State};
    let seen: Seen = Default::default();
    let answers = std::sync::Arc::new(answers);
    let app = axum::Router::new()
        .route(
            "/{bot}/sendMessage",
            axum::routing::post(
                move |State(seen): State<Seen>,
                      Path(bot): Path<String>,
                      Json(body): Json<serde_json::Value>| async move {
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push((bot, body));
                        seen.len()
                    };
                    let (status, body) = answers[(n - 1).min(answers.len() - 1)].clone();
                    (
                        axum::http::StatusCode::from_u16(status).unwrap(),
                        Json(body),
                    )
                },
            ),
        )
        // A file comes as multipart/form-data: kept as text, its method in the path.
        .route(
            "/{bot}/sendDocument",
            axum::routing::post(
                |State(seen): State<Seen>,
                 Path(bot): Path<String>,
                 headers: axum::http::HeaderMap,
                 body: axum::body::Bytes| async move {
                    let form = serde_json::json!({
                        "content_type": headers.get("content-type").and_then(|v| v.to_str().ok()),
                        "multipart": String::from_utf8_lossy(&body),
                    });
                    seen.lock()
                        .unwrap()
                        .push((format!("{bot}/sendDocument"), form));
                    Json(serde_json::json!({"ok": true, "result": {}}))
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}
