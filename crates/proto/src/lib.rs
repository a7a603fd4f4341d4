//! The gRPC protocol of the Proof-of-Compute audit (`proto/poc.proto`): the Worker service
//! the worker agent serves and the Oracle service oracles use to co-sign attestations.

pub mod v1 {
    tonic::include_proto!("io.poc.v1");
}

/// The protobuf runtime the generated types use (for encoding a request's bytes).
pub use prost;
