//! Proof-of-Compute core shared by the worker agent and the oracle: the seeded
//! matrix-product challenge of the stress test, the CPU backend that answers it, the
//! oracle's O(n^2) Freivalds check of the answer, and the speed verdict against the GPU
//! catalogue; and the network audit (round-trip time, packet loss, bandwidth) the oracle
//! runs against the worker's probe server.
//!
//! The product is exact in FP32: entries are integers in [-8, 8], so every partial sum of
//! a dot product of length n <= `MAX_N` is an integer below 2^24. A GPU may therefore use
//! its fastest FP32 (or TF32) GEMM and still return the exact integer product, and the
//! oracle checks it exactly.

pub mod backend;
pub mod challenge;
pub mod freivalds;
pub mod handshake;
pub mod netaudit;
pub mod speed;
pub mod stress;

pub use backend::{cpu_multiply, panel_rows, run_to_vec, Backend, CpuBackend, CpuLoaded, Loaded};
pub use challenge::{Challenge, ChallengeError, Operand, ENTRY_BOUND, MAX_N};
pub use freivalds::{check_prepared, check_product, commitment, CheckFailure, CheckReport, Prepared};
pub use handshake::{answer, ChallengeLedger, HandshakeChallenge, HandshakeError, HandshakeReply};
pub use netaudit::{measure, AuditConfig, LossStats, NetAuditError, NetworkReport, ProbeServer, ProbeServerStats, RttStats, Transfer};
pub use speed::{challenge_size, measured_centi_tflops, speed_verdict, SpeedVerdict};
