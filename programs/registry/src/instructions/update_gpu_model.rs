use super::add_gpu_model::{check_model_args, ChangeCatalogue, GpuModelArgs};
use crate::errors::RegistryError;
use crate::events::GpuModelChanged;
use anchor_lang::prelude::*;

/// Existing nodes pick up a new tier or expected figure at their next attestation. The
/// entry must still be what `expected` says, so an older proposal cannot undo a newer one.
pub fn handler(ctx: Context<ChangeCatalogue>, model_id: u16, expected: GpuModelArgs, args: GpuModelArgs) -> Result<()> {
    let catalogue = &mut ctx.accounts.catalogue;
    let current = catalogue.model(model_id)?;
    let unchanged = current.name == expected.name
        && current.tier == expected.tier
        && current.expected_centi_tflops == expected.expected_centi_tflops
        && current.min_cuda == expected.min_cuda;
    require!(unchanged, RegistryError::StaleParams);
    check_model_args(catalogue, &args, Some(model_id))?;
    let model = catalogue.model_mut(model_id)?;
    model.name = args.name;
    model.tier = args.tier;
    model.expected_centi_tflops = args.expected_centi_tflops;
    model.min_cuda = args.min_cuda;
    emit!(GpuModelChanged { model: model.clone() });
    Ok(())
}
