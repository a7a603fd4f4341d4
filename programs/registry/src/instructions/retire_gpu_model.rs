use super::add_gpu_model::ChangeCatalogue;
use crate::errors::RegistryError;
use crate::events::GpuModelChanged;
use anchor_lang::prelude::*;

/// Registered nodes of a retired model keep working; only new registrations stop.
pub fn handler(ctx: Context<ChangeCatalogue>, model_id: u16) -> Result<()> {
    let model = ctx.accounts.catalogue.model_mut(model_id)?;
    require!(model.active, RegistryError::GpuModelRetired);
    model.active = false;
    emit!(GpuModelChanged { model: model.clone() });
    Ok(())
}
