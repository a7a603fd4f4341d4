use super::add_gpu_model::{check_model_args, ChangeCatalogue, GpuModelArgs};
use crate::events::GpuModelChanged;
use anchor_lang::prelude::*;

/// Existing nodes pick up a new tier or expected figure at their next attestation.
pub fn handler(ctx: Context<ChangeCatalogue>, model_id: u16, args: GpuModelArgs) -> Result<()> {
    let catalogue = &mut ctx.accounts.catalogue;
    catalogue.model(model_id)?;
    check_model_args(catalogue, &args, Some(model_id))?;
    let model = catalogue.model_mut(model_id)?;
    model.name = args.name;
    model.tier = args.tier;
    model.expected_centi_tflops = args.expected_centi_tflops;
    model.min_cuda = args.min_cuda;
    emit!(GpuModelChanged { model: model.clone() });
    Ok(())
}
