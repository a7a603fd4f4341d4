//! Every refusal as a status code and a JSON body with a stable name.

use super::views::ErrorView;
use crate::IndexerError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use io_sdk::placement::PlacementError;
use io_sdk::placement_index::ClusterError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub name: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(name: &'static str, message: String) -> Self {
        Self { status: StatusCode::BAD_REQUEST, name, message }
    }

    pub fn not_found(name: &'static str, message: String) -> Self {
        Self { status: StatusCode::NOT_FOUND, name, message }
    }

    pub fn internal(message: String) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, name: "Internal", message }
    }

    pub fn unavailable(name: &'static str, message: String) -> Self {
        Self { status: StatusCode::SERVICE_UNAVAILABLE, name, message }
    }

    pub fn placement(e: PlacementError) -> Self {
        let name = match e {
            PlacementError::UnknownModel(_) => "UnknownModel",
            PlacementError::UnknownModelId(_) => "UnknownModelId",
            PlacementError::RetiredModel(_) => "RetiredModel",
            PlacementError::ZeroGpus => "ZeroGpus",
            PlacementError::TooManyGpus { .. } => "TooManyGpus",
            PlacementError::ZeroLimit => "ZeroLimit",
        };
        Self::bad_request(name, e.to_string())
    }

    pub fn cluster(e: ClusterError) -> Self {
        let name = match e {
            ClusterError::Placement(inner) => return Self::placement(inner),
            ClusterError::ZeroNodes => "ZeroNodes",
            ClusterError::TooManyNodes { .. } => "TooManyNodes",
            ClusterError::DistanceTooLarge { .. } => "DistanceTooLarge",
        };
        Self::bad_request(name, e.to_string())
    }
}

impl From<IndexerError> for ApiError {
    fn from(e: IndexerError) -> Self {
        Self { status: StatusCode::INTERNAL_SERVER_ERROR, name: "StoreError", message: e.to_string() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorView { error: self.name.to_string(), message: self.message })).into_response()
    }
}
