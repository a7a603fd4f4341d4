//! Stage 3 of an audit: the stress test. One seeded product per claimed GPU, loaded
//! before the clock starts and run in one window, sampled blocks of each product opened and
//! checked, each GPU's speed judged against the catalogue; and on request the version-1
//! second look (one whole product, Freivalds' check).

use super::{AuditOutcome, AuditSettings, Finding, NodeUnderAudit};
use crate::window::WindowTicket;
use io_poc::stress::{pick_blocks, scaling, Layout, Opening, StressFailure, StressSpec, Verifier};
use io_poc::{check_prepared, commitment, Challenge, CheckFailure, Prepared};
use io_proto::v1::worker_client::WorkerClient;
use io_proto::v1::{self as pb, stress_chunk::Part};
use rand::{RngCore, SeedableRng};
use std::time::{Duration, Instant};

/// The speed verdict of a stress test whose GPUs each did `flops`, GPU g committing
/// `elapsed[g]` after the window opened: the per-GPU figure to attest (centi-TFLOPS, at
/// least 1), or why not.
///
/// * Together the GPUs did `gpus x flops` by the last root; a claim of that many GPUs at
///   the required share of the model's speed needs at least `gpus x required` FLOP/s.
///   Less than half of that is more than a slow or throttled GPU explains: the node has
///   fewer or weaker GPUs than it claims (`CountNotProven`, slashed as spoofing). One
///   device answering for eight does eight products in the time of one, whether it runs
///   them in turn (its roots come at T, 2T, ..., 8T) or at once (all at 8T).
/// * GPUs that exist work at once: their roots come together. Weighing each GPU by how
///   soon it committed against the first (t_first / t_g) counts the GPUs that worked
///   concurrently: about `gpus` for real ones (one throttled GPU at 40% still leaves
///   7.4 of 8), 1 + 1/2 + ... + 1/8 = 2.7 for one device taking eight in turn. Fewer than
///   half the claim is `CountNotProven` too, whatever the model's rating.
/// * Each GPU must reach the required share on its own (`TooSlow`).
pub fn judge_speed(flops: f64, elapsed: &[Duration], expected_centi_tflops: u32, min_share_bps: u16) -> Result<u32, Finding> {
    let claimed = u16::try_from(elapsed.len()).unwrap_or(u16::MAX);
    let required = f64::from(expected_centi_tflops) * 1e10 * f64::from(min_share_bps) / 10_000.0;
    let gpus = elapsed.len().max(1) as f64;
    let window = elapsed.iter().max().copied().unwrap_or_default().as_secs_f64().max(1e-9);
    let aggregate = gpus * flops / window;
    if required > 0.0 && aggregate * 2.0 < gpus * required {
        return Err(Finding::CountNotProven { claimed, equivalent_centi_gpus: (aggregate / required * 100.0).round() as u32 });
    }
    let first = elapsed.iter().min().copied().unwrap_or_default().as_secs_f64().max(1e-9);
    let concurrent: f64 = elapsed.iter().map(|e| first / e.as_secs_f64().max(1e-9)).sum();
    if concurrent * 2.0 < gpus {
        return Err(Finding::CountNotProven { claimed, equivalent_centi_gpus: (concurrent * 100.0).round() as u32 });
    }
    for (gpu, e) in elapsed.iter().enumerate() {
        let speed = flops / e.as_secs_f64().max(1e-9);
        if speed < required {
            return Err(Finding::TooSlow { gpu: gpu as u32, measured_centi_tflops: centi(speed), expected_centi_tflops });
        }
    }
    // A node fast enough for its model is credited at least the smallest unit: the
    // registry takes a verified node's speed as non-zero, and a slow model's measured
    // speed can round down to nothing. The figure is per GPU, over the whole window.
    Ok(centi(aggregate / gpus).max(1))
}

pub(super) fn centi(flops_per_second: f64) -> u32 {
    (flops_per_second / 1e10).round().min(f64::from(u32::MAX)) as u32
}

/// Stage 3 (version 2): loads one challenge per claimed GPU, reveals the secret, times
/// each GPU's root, then opens and checks `settings.openings` blocks of each product.
/// Returns when each GPU's root came, from the reveal.
pub(super) async fn stress(
    worker: &mut WorkerClient<tonic::transport::Channel>,
    node: &NodeUnderAudit,
    settings: &AuditSettings,
    n: u32,
    window: Option<WindowTicket>,
    outcome: &mut AuditOutcome,
) -> Result<Vec<Duration>, Finding> {
    let unreachable = |e: &dyn std::fmt::Display| Finding::Unreachable(e.to_string());
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let spec = StressSpec::new(seed, n, u32::from(node.gpu_count)).map_err(|e| Finding::Unreachable(e.to_string()))?;
    let load = pb::LoadStressRequest { seed: seed.to_vec(), n, gpus: spec.gpus };
    let session = worker
        .load_stress(load)
        .await
        .map_err(|status| match status.code() {
            tonic::Code::ResourceExhausted => Finding::WorkerBusy(status.message().to_string()),
            _ => unreachable(&status),
        })?
        .into_inner()
        .session;

    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    // Nodes that could share hardware start their windows together.
    if let Some(mut ticket) = window {
        ticket.open().await;
    }
    let started = Instant::now();
    let mut stream = worker
        .run_stress(pb::RunStressRequest { session: session.clone(), secret: secret.to_vec() })
        .await
        .map_err(|e| unreachable(&e))?
        .into_inner();
    let mut roots: Vec<Option<([u8; 32], Duration)>> = vec![None; spec.gpus as usize];
    let mut committed = 0;
    while committed < roots.len() {
        let Some(commitment) = stream.message().await.map_err(|e| unreachable(&e))? else { break };
        let root: [u8; 32] = commitment.root.as_slice().try_into().map_err(|_| Finding::Unreachable("a root is not 32 bytes".into()))?;
        match roots.get_mut(commitment.gpu as usize) {
            Some(slot @ None) => *slot = Some((root, started.elapsed())),
            _ => return Err(Finding::Unreachable(format!("a root for GPU {} that was not asked for or came twice", commitment.gpu))),
        }
        committed += 1;
    }
    outcome.stress_elapsed = started.elapsed();
    drop(stream);
    let roots: Vec<([u8; 32], Duration)> = roots
        .into_iter()
        .enumerate()
        .map(|(gpu, r)| r.ok_or_else(|| Finding::Unreachable(format!("GPU {gpu} never committed to its product"))))
        .collect::<Result<_, _>>()?;
    outcome.stress_bytes = 32 * roots.len();

    let layout = Layout::new(n as usize);
    let mut elapsed_per_gpu = vec![];
    for (gpu, (root, elapsed)) in roots.into_iter().enumerate() {
        let gpu = gpu as u32;
        let challenge = spec.challenge(gpu);
        let diagonal = scaling(&secret, gpu, n);
        let openings = settings.openings;
        let (verifier, asked) = tokio::task::spawn_blocking(move || {
            let mut rng = rand::rngs::StdRng::from_entropy();
            let verifier = Verifier::new(challenge, &diagonal, &mut rng);
            let asked = pick_blocks(&mut rng, &layout, openings);
            (verifier, asked)
        })
        .await
        .map_err(|e| unreachable(&e))?;
        let mut distinct = asked.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let request = pb::OpenStressRequest { session: session.clone(), gpu, blocks: distinct };
        let reply = worker.open_stress(request).await.map_err(|e| unreachable(&e))?.into_inner();
        outcome.stress_bytes += reply.openings.iter().map(|o| 8 + o.entries.len() + o.proof.len()).sum::<usize>();
        let openings = reply
            .openings
            .into_iter()
            .map(decode_opening)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Finding::WrongBlock { gpu, failure: e })?;
        tokio::task::spawn_blocking(move || verifier.check(&root, &asked, &openings))
            .await
            .map_err(|e| unreachable(&e))?
            .map_err(|failure| Finding::WrongBlock { gpu, failure })?;
        elapsed_per_gpu.push(elapsed);
    }
    Ok(elapsed_per_gpu)
}

/// An opening off the wire; malformed bytes are a malformed block.
fn decode_opening(o: pb::BlockOpening) -> Result<Opening, StressFailure> {
    if !o.entries.len().is_multiple_of(4) || !o.proof.len().is_multiple_of(32) {
        return Err(StressFailure::BadProof { block: o.block });
    }
    Ok(Opening {
        block: o.block,
        entries: o.entries.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect(),
        proof: o.proof.chunks_exact(32).map(|h| h.try_into().expect("32 bytes")).collect(),
    })
}

/// The version-1 stress test: one seeded product, the commitment, the whole result, and
/// Freivalds' check of all of it.
pub(super) async fn second_look(
    worker: &mut WorkerClient<tonic::transport::Channel>,
    settings: &AuditSettings,
    n: u32,
) -> Result<(), Finding> {
    let unreachable = |e: &dyn std::fmt::Display| Finding::Unreachable(e.to_string());
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let challenge = Challenge::new(seed, n).map_err(|e| Finding::Unreachable(e.to_string()))?;
    let mut stream = worker.stress_test(pb::StressRequest { seed: seed.to_vec(), n }).await.map_err(|e| unreachable(&e))?.into_inner();
    let bits = settings.soundness_bits;
    let prepared = tokio::task::spawn_blocking(move || Prepared::new(challenge, bits, &mut rand::rngs::StdRng::from_entropy()));
    let committed = match stream.message().await.map_err(|e| unreachable(&e))? {
        Some(pb::StressChunk { part: Some(Part::Commitment(c)) }) => c,
        _ => return Err(Finding::Unreachable("the stress test did not start with a commitment".into())),
    };
    let size = challenge.size() * challenge.size();
    let mut result: Vec<f32> = Vec::with_capacity(size);
    while let Some(chunk) = stream.message().await.map_err(|e| unreachable(&e))? {
        let Some(Part::Result(bytes)) = chunk.part else {
            return Err(Finding::Unreachable("unexpected message in the result stream".into()));
        };
        if bytes.len() % 4 != 0 || result.len() + bytes.len() / 4 > size {
            return Err(Finding::WrongProduct(CheckFailure::WrongSize { got: result.len() + bytes.len() / 4, expected: size }));
        }
        result.extend(bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))));
    }
    let prepared = prepared.await.map_err(|e| unreachable(&e))?;
    if commitment(&result).as_slice() != committed.as_slice() {
        return Err(Finding::CommitmentMismatch);
    }
    tokio::task::spawn_blocking(move || check_prepared(&prepared, &result))
        .await
        .map_err(|e| unreachable(&e))?
        .map_err(Finding::WrongProduct)?;
    Ok(())
}
