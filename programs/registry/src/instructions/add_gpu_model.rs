use crate::constants::*;
use crate::errors::RegistryError;
use crate::events::GpuModelChanged;
use crate::state::{CudaVersion, GpuCatalogue, GpuModel, RegistryConfig, Tier};
use anchor_lang::prelude::*;

/// What the authority says about a GPU model.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct GpuModelArgs {
    pub name: String,
    pub tier: Tier,
    /// Expected FP32 throughput of one GPU, hundredths of a TFLOPS.
    pub expected_centi_tflops: u32,
    pub min_cuda: CudaVersion,
}

/// Accounts of every catalogue change.
#[derive(Accounts)]
pub struct ChangeCatalogue<'info> {
    pub authority: Signer<'info>,
    #[account(seeds = [CONFIG_SEED], bump = config.bump, has_one = authority @ RegistryError::Unauthorized)]
    pub config: Account<'info, RegistryConfig>,
    #[account(mut, seeds = [CATALOGUE_SEED], bump = catalogue.bump)]
    pub catalogue: Account<'info, GpuCatalogue>,
}

/// Checks a model description; `except` is the id whose current name may be reused.
pub(crate) fn check_model_args(catalogue: &GpuCatalogue, args: &GpuModelArgs, except: Option<u16>) -> Result<()> {
    let name = args.name.as_str();
    require!(!name.trim().is_empty() && name.len() <= MAX_GPU_MODEL_NAME_LEN, RegistryError::InvalidGpuModelName);
    let taken = catalogue.models.iter().any(|m| Some(m.id) != except && m.name.eq_ignore_ascii_case(name));
    require!(!taken, RegistryError::InvalidGpuModelName);
    require!(args.expected_centi_tflops > 0, RegistryError::InvalidExpectedTflops);
    Ok(())
}

pub fn handler(ctx: Context<ChangeCatalogue>, args: GpuModelArgs) -> Result<()> {
    let catalogue = &mut ctx.accounts.catalogue;
    require!(catalogue.models.len() < MAX_GPU_MODELS, RegistryError::CatalogueFull);
    check_model_args(catalogue, &args, None)?;
    let model = GpuModel {
        // Fits: the catalogue holds at most MAX_GPU_MODELS (64) entries.
        id: catalogue.models.len() as u16,
        name: args.name,
        tier: args.tier,
        expected_centi_tflops: args.expected_centi_tflops,
        min_cuda: args.min_cuda,
        active: true,
    };
    catalogue.models.push(model.clone());
    emit!(GpuModelChanged { model });
    Ok(())
}
