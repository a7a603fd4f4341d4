//! `io dao ...`: the DAO's proposals, over any [`Chain`]. Stakers propose parameter changes
//! of the suite (fee, price feed, gateway, grants, slash vetoes, GPU models, the oracle
//! set), vote with their bond at the proposal's opening, and anyone queues and executes a
//! proposal that passed once its timelock is over.

use crate::emissions_cmd::group_io;
use crate::registry_cmd::read_keypair;
use crate::stake_cmd::parse_io;
use anyhow::{ensure, Context};
use clap::{Args, Subcommand, ValueEnum};
use io_governance::{GovernanceConfig, Proposal, VoteChoice, VoteRecord};
use io_sdk::client::{fetch, fetch_opt, Chain, TxFailure, TxOutcome};
use io_sdk::governance::{self as gx, actions};
use io_sdk::parse::{parse_centi, parse_cuda, parse_feed_id, parse_tier};
use io_sdk::pda;
use io_staking::{SlashProposal, SlashStatus};
use io_treasury::{Asset, TreasuryConfig};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;

pub use crate::dao_view::*;

// Parsed once per run: the size of the proposal's flags does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum DaoCommand {
    /// Open a proposal carrying one or more actions (the proposer needs the proposal
    /// threshold bonded, as it stood the second before).
    Propose(ProposeArgs),
    /// Vote on a proposal in its voting period with the bond you had when it opened.
    Vote {
        /// The voter's keypair file (an operator with a staking position).
        #[arg(long)]
        voter: String,
        /// Proposal id.
        id: u64,
        choice: Choice,
    },
    /// Close a proposal's vote once its period is over: queued behind the timelock if it
    /// passed, defeated otherwise (anyone).
    Queue { id: u64 },
    /// Execute a queued proposal whose timelock is over (anyone; the DAO PDA signs).
    Execute { id: u64 },
    /// Withdraw your proposal before anyone voted.
    Cancel {
        #[arg(long)]
        proposer: String,
        id: u64,
    },
    /// Return a vote record's rent to its voter once the proposal's voting is over
    /// (anyone may send it; the lamports go to the voter, who paid them).
    CloseVote {
        /// The voter's address.
        #[arg(long)]
        voter: Pubkey,
        id: u64,
    },
    /// One line per proposal: id, stage, tally, next deadline.
    List,
    /// One proposal in full: proposer, link, stage and its times, tally against quorum and
    /// approval, and what each instruction does.
    Show { id: u64 },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Yes,
    No,
    Abstain,
}

impl From<Choice> for VoteChoice {
    fn from(choice: Choice) -> Self {
        match choice {
            Choice::Yes => VoteChoice::Yes,
            Choice::No => VoteChoice::No,
            Choice::Abstain => VoteChoice::Abstain,
        }
    }
}

/// A proposal and its actions. Treasury changes (fee, price feed, gateway) travel in one
/// `set_treasury_params` naming only those fields, each with the value it has now (the
/// action is refused if one changes before it executes).
#[derive(Args, Debug, Clone, Default)]
pub struct ProposeArgs {
    /// The proposer's keypair file (an operator with at least the threshold bonded).
    #[arg(long)]
    pub proposer: String,
    /// The proposal's full text; the chain stores its sha256.
    #[arg(long)]
    pub description: String,
    /// Where the text is published (at most 128 bytes).
    #[arg(long, default_value = "")]
    pub link: String,
    /// Set the protocol fee, bps (200 = 2%).
    #[arg(long)]
    pub set_fee_bps: Option<u16>,
    /// Set the IO/USD Pyth feed id (64 hex digits).
    #[arg(long)]
    pub set_price_feed: Option<String>,
    /// Name the IOSD gateway.
    #[arg(long)]
    pub set_gateway: Option<Pubkey>,
    /// Veto a pending slash proposal (repeat for several).
    #[arg(long = "veto-slash")]
    pub veto_slash: Vec<u64>,
    /// Grant IOSD from the treasury to the --to account of the IOSD mint.
    #[arg(long, requires = "to")]
    pub grant_iosd: Option<String>,
    /// Grant $IO from the treasury to the --to account of the $IO mint.
    #[arg(long, requires = "to")]
    pub grant_io: Option<String>,
    /// Recipient token account of a grant (one per granted asset).
    #[arg(long = "to")]
    pub to: Vec<Pubkey>,
    /// Add a GPU model to the catalogue (with --tier, --tflops, --min-cuda).
    #[arg(long, requires_all = ["tier", "tflops", "min_cuda"])]
    pub add_gpu_model: Option<String>,
    /// enterprise, mid-market or consumer
    #[arg(long, requires = "add_gpu_model")]
    pub tier: Option<String>,
    /// Expected FP32 TFLOPS per GPU, e.g. 66.9
    #[arg(long, requires = "add_gpu_model")]
    pub tflops: Option<String>,
    /// Minimum CUDA version, e.g. 12.2 (0.0 for none)
    #[arg(long, requires = "add_gpu_model")]
    pub min_cuda: Option<String>,
    /// Replace the oracle set: comma-separated keys (with --threshold).
    #[arg(long, value_delimiter = ',', requires = "threshold")]
    pub set_oracles: Vec<Pubkey>,
    /// The oracle quorum M of the new set.
    #[arg(long, requires = "set_oracles")]
    pub threshold: Option<u8>,
    /// Add this much IO of the cap's unminted rest to the emission reserve (the next year
    /// boundary takes its share of the larger remainder).
    #[arg(long)]
    pub extend_emission_reserve: Option<String>,
}

/// Sends, and names the program's error when the chain refuses; the [`TxFailure`] stays
/// inside, so `failure_code` still reads its code.
fn send(chain: &mut impl Chain, ixs: &[Instruction], signers: &[&Keypair], what: &str) -> anyhow::Result<TxOutcome> {
    chain.send(ixs, signers).map_err(|err| {
        let reason = err.downcast_ref::<TxFailure>().and_then(|f| {
            // Anchor logs the name (BPF builds); otherwise the code is looked up.
            let logged = f.logs.iter().find_map(|l| l.split_once("Error Code: ").map(|(_, rest)| rest.to_string()));
            logged.or_else(|| f.custom_code().and_then(|code| refusal(failing_program(&f.logs), code)))
        });
        match reason {
            Some(reason) => err.context(format!("{what} refused: {reason}")),
            None => err.context(what.to_string()),
        }
    })
}

/// The innermost program that failed with a custom error, from the logs.
fn failing_program(logs: &[String]) -> Option<Pubkey> {
    logs.iter().find_map(|l| {
        let rest = l.strip_prefix("Program ")?;
        let (id, tail) = rest.split_once(' ')?;
        tail.starts_with("failed: custom program error").then(|| id.parse().ok()).flatten()
    })
}

/// The name and message of a governance or staking error code (a proposal's veto fails
/// inside staking), e.g. "AlreadyVoted (6013): This position has already voted on the
/// proposal". Other programs' codes are left to the caller's error.
pub fn refusal(program: Option<Pubkey>, code: u32) -> Option<String> {
    macro_rules! named {
        ($ty:ident: $($variant:ident),* $(,)?) => {
            [$($ty::$variant),*].into_iter().find(|e| u32::from(*e) == code).map(|e| format!("{} ({code}): {e}", e.name()))
        };
    }
    use io_governance::GovernanceError;
    use io_staking::StakingError;
    match program.unwrap_or(io_governance::ID) {
        id if id == io_governance::ID => named!(GovernanceError:
            Unauthorized, InvalidParams, NotRegistryAuthority, NotAnAuthorityAcceptance, BelowProposalThreshold,
            InvalidInstructionCount, InstructionTooLarge, LinkTooLong, UnexpectedSigner, ForbiddenGovernanceCall,
            ProposalNotVoting, VotingClosed, VotingNotEnded, AlreadyVoted, NoVotingWeight, SnapshotUnavailable,
            NotProposer, VotesAlreadyCast, ProposalNotQueued, AlreadyExecuted, TimelockNotElapsed, ProposalExpired,
            MissingAccount, WrongStakingAccount, WrongRegistryAccount, ArithmeticOverflow,
        ),
        id if id == io_staking::ID => named!(StakingError:
            Unauthorized, InvalidParams, SlashNotPending, ChallengeWindowOpen, ChallengeWindowClosed, ProposalMismatch,
            SlashAboveCap, SlashExceedsStake, ArithmeticOverflow,
        ),
        _ => None,
    }
}

fn governance_config(chain: &mut impl Chain) -> anyhow::Result<GovernanceConfig> {
    fetch(chain, &pda::governance_config()).context("governance config (was the DAO opened at genesis?)")
}

pub fn fetch_proposal(chain: &mut impl Chain, id: u64) -> anyhow::Result<Proposal> {
    fetch_opt(chain, &pda::proposal(id))?.with_context(|| format!("no proposal #{id}"))
}

/// The mint of a token account (the first 32 bytes of the SPL layout).
fn token_mint(chain: &mut impl Chain, account: &Pubkey) -> anyhow::Result<Pubkey> {
    let data = chain.account_data(account)?.with_context(|| format!("token account {account} not found"))?;
    ensure!(data.len() == io_sdk::token::account_len(), "{account} is not a token account");
    Ok(Pubkey::try_from(&data[..32]).expect("32 bytes"))
}

/// The instructions a proposal's flags ask for, in a fixed order: treasury parameters,
/// grants, slash vetoes, catalogue, oracles, the emission reserve.
pub fn proposal_actions(chain: &mut impl Chain, args: &ProposeArgs) -> anyhow::Result<Vec<Instruction>> {
    let mut out = vec![];
    let treasury_change = args.set_fee_bps.is_some() || args.set_price_feed.is_some() || args.set_gateway.is_some();
    let grants = args.grant_iosd.is_some() || args.grant_io.is_some();
    let treasury: Option<TreasuryConfig> =
        if treasury_change || grants { Some(fetch(chain, &pda::treasury_config()).context("treasury config")?) } else { None };
    if treasury_change {
        let current = treasury.as_ref().expect("fetched").params;
        let mut wanted = current;
        if let Some(feed) = &args.set_price_feed {
            wanted.price_feed_id = parse_feed_id(feed)?;
        }
        if let Some(gateway) = args.set_gateway {
            wanted.gateway = gateway;
        }
        wanted.fee_bps = args.set_fee_bps.unwrap_or(current.fee_bps);
        ensure!(wanted.fee_bps <= io_treasury::MAX_FEE_BPS, "the fee is at most {} bps", io_treasury::MAX_FEE_BPS);
        ensure!(wanted != current, "the treasury parameters already hold these values");
        out.push(actions::set_treasury_params(&current, &wanted));
    }
    if grants {
        let io_mint = treasury.as_ref().expect("fetched").io_mint;
        let mut recipients = vec![];
        for account in &args.to {
            recipients.push((*account, token_mint(chain, account)?));
        }
        for (amount, asset, mint, name) in
            [(&args.grant_iosd, Asset::Iosd, pda::iosd_mint(), "IOSD"), (&args.grant_io, Asset::Io, io_mint, "$IO")]
        {
            let Some(amount) = amount else { continue };
            let (to, _) = recipients
                .iter()
                .find(|(_, m)| *m == mint)
                .with_context(|| format!("no --to account of the {name} mint {mint} for the {name} grant"))?;
            out.push(actions::grant(&io_mint, asset, to, parse_io(amount)?));
        }
    }
    for id in &args.veto_slash {
        let slash: SlashProposal = fetch_opt(chain, &pda::slash_proposal(*id))?.with_context(|| format!("no slash proposal #{id}"))?;
        ensure!(slash.status == SlashStatus::Pending, "slash #{id} is {:?}, not pending", slash.status);
        out.push(actions::veto_slash(&slash.operator, *id));
    }
    if let Some(name) = &args.add_gpu_model {
        let field = |v: &Option<String>, flag: &str| v.clone().with_context(|| format!("--add-gpu-model needs {flag}"));
        out.push(actions::add_gpu_model(io_registry::GpuModelArgs {
            name: name.clone(),
            tier: parse_tier(&field(&args.tier, "--tier")?)?,
            expected_centi_tflops: parse_centi(&field(&args.tflops, "--tflops")?)?,
            min_cuda: parse_cuda(&field(&args.min_cuda, "--min-cuda")?)?,
        }));
    }
    if !args.set_oracles.is_empty() {
        let threshold = args.threshold.context("--set-oracles needs --threshold")?;
        ensure!(
            threshold >= 1 && usize::from(threshold) <= args.set_oracles.len(),
            "the threshold must be between 1 and the number of oracles"
        );
        let config: io_registry::RegistryConfig = fetch(chain, &pda::registry_config()).context("registry config")?;
        let wanted = (args.set_oracles.as_slice(), threshold);
        ensure!(
            wanted != (config.oracles.as_slice(), config.threshold),
            "the oracle set and threshold already are these (order aside, they must differ)"
        );
        out.push(actions::set_oracles((&config.oracles, config.threshold), wanted));
    }
    if let Some(amount) = &args.extend_emission_reserve {
        let config: io_emissions::EmissionsConfig = fetch(chain, &pda::emissions_config()).context("emissions config")?;
        let amount = parse_io(amount)?;
        let room = config.supply_cap - config.genesis_supply - config.reserve;
        ensure!(
            amount > 0 && amount <= room,
            "the reserve can grow by 0.000001 to {} IO (the cap less genesis and the reserve)",
            group_io(room)
        );
        out.push(actions::extend_emission_reserve(config.reserve, amount));
    }
    Ok(out)
}

pub fn run_dao(chain: &mut impl Chain, command: DaoCommand) -> anyhow::Result<String> {
    let mut out = String::new();
    match command {
        DaoCommand::Propose(args) => {
            let proposer = read_keypair(&args.proposer)?;
            ensure!(args.link.len() <= io_governance::MAX_LINK_LEN, "the link is longer than {} bytes", io_governance::MAX_LINK_LEN);
            let actions = proposal_actions(chain, &args)?;
            ensure!(!actions.is_empty(), "a proposal needs at least one action (e.g. --set-fee-bps, --veto-slash, --grant-iosd)");
            ensure!(
                actions.len() <= io_governance::MAX_PROPOSAL_INSTRUCTIONS,
                "a proposal carries at most {} actions",
                io_governance::MAX_PROPOSAL_INSTRUCTIONS
            );
            let config = governance_config(chain)?;
            let id = config.proposal_count;
            let payer = chain.payer();
            let hash = gx::description_hash(&args.description);
            let steps = gx::propose(&payer, &proposer.pubkey(), id, hash, &args.link, &actions)
                .context("an action is too large for a transaction of its own")?;
            for step in &steps {
                send(chain, std::slice::from_ref(step), &[&proposer], "proposal")?;
            }
            match steps.len() {
                1 => writeln!(out, "proposed #{id}")?,
                n => writeln!(out, "proposed #{id} (drafted, appended and opened in {n} transactions)")?,
            }
            let now = chain.unix_time()?;
            for slash_id in &args.veto_slash {
                let slash: SlashProposal = fetch(chain, &pda::slash_proposal(*slash_id))?;
                if !veto_in_time(&config, &slash, now) {
                    writeln!(
                        out,
                        "warning: slash #{slash_id}'s challenge window closes {}, before voting and the timelock can end",
                        relative(slash.executable_at, now)
                    )?;
                }
            }
            out += &describe(chain, id)?;
        }
        DaoCommand::Vote { voter, id, choice } => {
            let voter = read_keypair(&voter)?;
            send(chain, &[gx::cast_vote(&voter.pubkey(), id, choice.into())], &[&voter], "cast_vote")?;
            let record: VoteRecord = fetch(chain, &pda::vote_record(&pda::proposal(id), &voter.pubkey()))?;
            writeln!(out, "voted {} on #{id} with {} IO (the bond at its opening)", choice_name(record.choice), group_io(record.weight))?;
            let p = fetch_proposal(chain, id)?;
            out += &tally(&p)?;
        }
        DaoCommand::Queue { id } => {
            send(chain, &[gx::queue_proposal(id)], &[], "queue_proposal")?;
            let p = fetch_proposal(chain, id)?;
            let now = chain.unix_time()?;
            match p.status {
                io_governance::ProposalStatus::Queued => {
                    writeln!(out, "queued #{id}: executable {}, until {}", relative(p.executable_at, now), relative(p.expires_at, now))?
                }
                _ => writeln!(out, "#{id} is defeated ({})", outcome_name(&p))?,
            }
            out += &describe(chain, id)?;
        }
        DaoCommand::Execute { id } => {
            let p = fetch_proposal(chain, id)?;
            send(chain, &[gx::execute_proposal(id, &p.instructions)], &[], "execute_proposal")?;
            let n = p.instructions.len();
            writeln!(out, "executed #{id}: {n} instruction{} signed by the DAO {}", if n == 1 { "" } else { "s" }, pda::dao())?;
            out += &describe(chain, id)?;
        }
        DaoCommand::Cancel { proposer, id } => {
            let proposer = read_keypair(&proposer)?;
            send(chain, &[gx::cancel_proposal(&proposer.pubkey(), id)], &[&proposer], "cancel_proposal")?;
            writeln!(out, "cancelled #{id}")?;
        }
        DaoCommand::CloseVote { voter, id } => {
            let record = pda::vote_record(&pda::proposal(id), &voter);
            // The record's rent is what it returns: read its size before it is closed.
            let size = chain.account_data(&record)?.map_or(0, |data| data.len());
            let rent = chain.rent_exempt_balance(size)?;
            send(chain, &[gx::close_vote_record(&voter, id)], &[], "close_vote_record")?;
            writeln!(out, "closed {voter}'s vote record on #{id}: {} SOL back to the voter", rent as f64 / 1e9)?;
        }
        DaoCommand::List => {
            let config = governance_config(chain)?;
            let now = chain.unix_time()?;
            for id in 0..config.proposal_count {
                let p = fetch_proposal(chain, id)?;
                writeln!(out, "{}", proposal_line(&p, now))?;
            }
        }
        DaoCommand::Show { id } => out += &describe(chain, id)?,
    }
    Ok(out)
}

/// Whether a proposal opened now can veto slash `slash` in time: its voting period and
/// timelock must end before the slash's challenge window does.
pub fn veto_in_time(config: &GovernanceConfig, slash: &SlashProposal, now: i64) -> bool {
    now + i64::from(config.params.voting_period_secs) + i64::from(config.params.timelock_secs) < slash.executable_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_relative_to_the_chain() {
        assert_eq!(relative(100, 100), "now");
        assert_eq!(relative(100 + 3 * 86_400 + 7_200, 100), "in 3d 2h");
        assert_eq!(relative(100, 100 + 5_400), "1h 30m ago");
        assert_eq!(relative(142, 100), "in 42s");
        assert_eq!(span(-90), "1m 30s");
    }

    #[test]
    fn refusals_are_named_by_program() {
        let voted = u32::from(io_governance::GovernanceError::AlreadyVoted);
        assert!(refusal(None, voted).unwrap().starts_with("AlreadyVoted ("), "{:?}", refusal(None, voted));
        let vetoed = u32::from(io_staking::StakingError::SlashNotPending);
        assert!(refusal(Some(io_staking::ID), vetoed).unwrap().starts_with("SlashNotPending"));
        assert_eq!(refusal(Some(io_treasury::ID), 6000), None);
        let logs = vec![
            format!("Program {} invoke [1]", io_governance::ID),
            format!("Program {} failed: custom program error: 0x1775", io_staking::ID),
            format!("Program {} failed: custom program error: 0x1775", io_governance::ID),
        ];
        assert_eq!(failing_program(&logs), Some(io_staking::ID));
    }

    #[test]
    fn proposals_parse_from_the_command_line() {
        use clap::Parser;
        #[derive(Parser)]
        struct Io {
            #[command(subcommand)]
            dao: DaoCommand,
        }
        let key = Pubkey::new_unique().to_string();
        let parsed = Io::try_parse_from([
            "io",
            "propose",
            "--proposer",
            "p.json",
            "--description",
            "fee and veto",
            "--set-fee-bps",
            "150",
            "--veto-slash",
            "3",
            "--veto-slash",
            "4",
            "--grant-iosd",
            "12.5",
            "--to",
            &key,
            "--set-oracles",
            &format!("{key},{key}"),
            "--threshold",
            "2",
        ])
        .unwrap();
        let DaoCommand::Propose(args) = parsed.dao else { panic!("not a proposal") };
        assert_eq!(
            (args.set_fee_bps, args.veto_slash.clone(), args.set_oracles.len(), args.threshold),
            (Some(150), vec![3, 4], 2, Some(2))
        );
        // A model needs its tier, TFLOPS and CUDA; a grant needs its recipient.
        assert!(Io::try_parse_from(["io", "propose", "--proposer", "p", "--description", "d", "--add-gpu-model", "B200"]).is_err());
        assert!(Io::try_parse_from(["io", "propose", "--proposer", "p", "--description", "d", "--grant-io", "5"]).is_err());
        let vote = Io::try_parse_from(["io", "vote", "--voter", "v.json", "7", "abstain"]).unwrap();
        assert!(matches!(vote.dao, DaoCommand::Vote { id: 7, choice: Choice::Abstain, .. }));
    }
}
