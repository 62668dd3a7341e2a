//! The test controls under `/_fake/`: mint, faults, clock, browser mode, stats. No authentication:
//! bind the fake to loopback. The Android and iOS demo apps call these; keep them compatible.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use super::{
    json_response, BrowserMode, FakeDingTalk, FakeStats, Fault, FaultEndpoint, MintRequest,
    UserPatch,
};

pub(super) async fn mint_http(
    State(fake): State<FakeDingTalk>,
    Json(req): Json<MintRequest>,
) -> Response {
    match fake.mint(req) {
        Ok(code) => json_response(
            StatusCode::OK,
            serde_json::json!({"code": code, "expiresIn": fake.inner.config.code_ttl.as_secs()}),
        ),
        Err(e) => json_response(StatusCode::BAD_REQUEST, serde_json::json!({"error": e})),
    }
}

#[derive(Deserialize)]
pub(super) struct FaultRequest {
    endpoint: FaultEndpoint,
    fault: Option<Fault>,
    times: Option<u32>,
}

pub(super) async fn set_fault_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<FaultRequest>,
) -> StatusCode {
    fake.set_fault(r.endpoint, r.fault, r.times.filter(|n| *n > 0));
    StatusCode::NO_CONTENT
}

pub(super) async fn clear_faults_http(State(fake): State<FakeDingTalk>) -> StatusCode {
    fake.clear_faults();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ClockRequest {
    advance_ms: i64,
}

pub(super) async fn clock_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<ClockRequest>,
) -> Response {
    fake.advance_clock(r.advance_ms);
    json_response(StatusCode::OK, serde_json::json!({"nowMs": fake.now_ms()}))
}

#[derive(Deserialize)]
pub(super) struct BrowserRequest {
    mode: BrowserMode,
    user: Option<UserPatch>,
}

pub(super) async fn browser_http(
    State(fake): State<FakeDingTalk>,
    Json(r): Json<BrowserRequest>,
) -> StatusCode {
    fake.set_browser(r.mode, r.user);
    StatusCode::NO_CONTENT
}

pub(super) async fn stats_http(State(fake): State<FakeDingTalk>) -> Json<FakeStats> {
    Json(fake.stats())
}
