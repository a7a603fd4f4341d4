//! The suite's invariants, checked after every instruction a test sends, and the
//! refusal checks: a refused instruction is named by (program, error) and changes nothing.

use super::*;

impl Harness {
    /// Every registry account's bytes: compared before and after a refused instruction.
    pub fn snapshot(&mut self) -> BTreeMap<Pubkey, Option<Vec<u8>>> {
        let mut keys = vec![
            pda::registry_config(),
            pda::gpu_catalogue(),
            pda::staking_config(),
            pda::staking_vault(),
            pda::staking_reward_vault(),
            pda::emissions_config(),
            pda::treasury_config(),
            pda::iosd_mint(),
            pda::treasury_iosd_vault(),
            pda::buyback_pool(),
            self.io_mint,
            self.treasury,
            self.genesis_tokens,
        ];
        keys.extend(self.token_accounts.iter().copied());
        keys.extend(self.operators.iter().map(pda::operator_stake));
        for tree in self.registry.trees.keys() {
            keys.push(*tree);
            keys.push(pda::tree_config(tree));
        }
        keys.extend(self.operators.iter().map(pda::operator_stats));
        keys.into_iter().map(|k| (k, self.net.account_data(&k).unwrap())).collect()
    }

    /// Sends instructions that must be refused with `expected` (a program's error enum, or
    /// a [`Refusal`] naming program and code), and checks that no registry account changed.
    /// The program that raised the error is compared too, CPIs included.
    pub fn expect_error(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&Keypair],
        expected: impl Into<Refusal>,
    ) {
        let expected = expected.into();
        let before = self.snapshot();
        let err = self.net.send(instructions, signers).expect_err("instruction should fail");
        assert_eq!(Refusal::of(&err), Some(expected), "expected {expected:?}, got {err:?}");
        assert!(self.snapshot() == before, "a refused instruction changed registry state");
        self.check_invariants();
    }

    /// The registry's invariants: every mirror root equals its on-chain root, every tree
    /// config counts its leaves, and every operator's aggregates equal what its records add up to.
    pub fn check_invariants(&mut self) {
        let trees: Vec<Pubkey> = self.registry.trees.keys().copied().collect();
        for tree in trees {
            let onchain = self.onchain_root(&tree);
            let tracked = &self.registry.trees[&tree];
            assert_eq!(tracked.mirror.root(), onchain, "mirror root of {tree} differs from the chain");
            let tree_config: TreeConfig = fetch(&mut self.net, &pda::tree_config(&tree)).unwrap();
            assert_eq!(tree_config.num_nodes as usize, self.registry.trees[&tree].mirror.len());
        }
        self.check_staking_invariants();
        self.check_treasury_invariants();
        self.check_governance_invariants();
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stats(&operator)).unwrap() else { continue };
            let stats = OperatorStats::try_deserialize(&mut data.as_slice()).unwrap();
            // What counts is the records whose verification lease runs in the current
            // epoch, read lazily as staking reads it.
            let epoch = stats.current_epoch(self.net.unix_time().unwrap()).unwrap();
            let (mut by_status, mut registered, mut deposits) = ([0u32; 4], 0u64, 0u64);
            let mut counted = io_registry::VerifiedCapacity::default();
            for (_, record) in self.registry.records().filter(|(_, r)| r.operator == operator) {
                by_status[record.status.index()] += 1;
                registered += 1;
                deposits += record.deposit_lamports;
                if record.status == NodeStatus::Verified && record.lease_end_epoch > epoch {
                    counted.nodes_by_tier[record.tier.index()] += 1;
                    counted.gpus_by_tier[record.tier.index()] += u32::from(record.gpu_count);
                    counted.score_gpus_by_tier[record.tier.index()] += record.verified_score_gpus();
                }
            }
            let expected = (by_status, registered, deposits);
            assert_eq!(stats.nodes_by_status, by_status, "status counts of {operator}");
            assert_eq!(stats.verified_at(epoch).unwrap(), counted, "verified capacity of {operator} in epoch {epoch}");
            assert_eq!(stats.nodes_registered, expected.1);
            // The deposits the records hold are the deposits the account holds, on top of
            // its rent exemption, to the lamport.
            assert_eq!(stats.deposits_lamports, expected.2, "deposits held for {operator}");
            let rent = self.net.rent_exempt_balance(data.len()).unwrap();
            let lamports = self.net.account(&pda::operator_stats(&operator)).unwrap().unwrap().lamports;
            assert_eq!(lamports, rent + stats.deposits_lamports, "lamports of {operator}'s aggregates account");
        }
        // Forfeited deposits sit in the config account on top of its rent exemption.
        let config_account = self.net.account(&pda::registry_config()).unwrap().unwrap();
        let config = RegistryConfig::try_deserialize(&mut config_account.data.as_slice()).unwrap();
        let rent = self.net.rent_exempt_balance(config_account.data.len()).unwrap();
        assert_eq!(config_account.lamports, rent + config.forfeited_lamports, "registry config lamports");
    }

    /// Staking's conservation law: the vault holds exactly the bonded plus unbonding stake,
    /// the config's totals are the sums over every operator, and pending slashes never
    /// exceed what an operator has.
    pub fn check_staking_invariants(&mut self) {
        let config = self.check_vault_invariant();
        let (mut bonded, mut unbonding, mut weight) = (0u64, 0u64, 0u64);
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stake(&operator)).unwrap() else { continue };
            let stake = OperatorStake::try_deserialize(&mut data.as_slice()).unwrap();
            bonded += stake.bonded;
            unbonding += stake.unbonding_total().unwrap();
            weight += stake.weight;
            assert!(stake.pending_slash <= stake.slashable().unwrap(), "pending slashes exceed the stake of {operator}");
        }
        assert_eq!(bonded, config.total_bonded, "sum of bonds != total_bonded");
        assert_eq!(unbonding, config.total_unbonding, "sum of unbonding != total_unbonding");
        assert_eq!(weight, config.total_weight, "sum of weights != total_weight");
        self.check_reward_invariants();
    }

    /// Emission and reward conservation: cumulative minted <= the cap; everything the
    /// emissions program minted went to the reward vault; the vault holds exactly what was
    /// distributed and not claimed, less what was reclaimed and paid out again; what the
    /// operators are owed fits in what is neither claimed, reclaimed nor forfeited; every
    /// claim is counted; the earning weight is the sum of the live leases, bucket by
    /// bucket; every unit of genesis plus reserve is in circulation (minted, not
    /// reclaimed), held back or still scheduled.
    pub fn check_reward_invariants(&mut self) {
        let config = self.staking_config();
        let emissions = self.emissions_config();
        let pool = config.rewards.clone();
        assert!(emissions.total_minted <= emissions.supply_cap, "minted past the cap");
        assert_eq!(emissions.supply_cap, 800_000_000 * 1_000_000);
        // The reserve never passes the cap less the genesis allocation, and every base unit
        // of genesis plus reserve is minted, held back, or still ahead in the schedule
        // (emission returned to the reserve included); the rest of the cap stays unminted.
        assert!(emissions.genesis_supply + emissions.reserve <= emissions.supply_cap, "the reserve passes the cap");
        let cursor = emissions.cursor;
        let n = u128::from(emissions.epochs_per_year);
        let accounted_this_year = (u128::from(cursor.year_total) * u128::from(cursor.epoch_in_year).min(n) / n) as u64;
        let ahead = cursor.unscheduled + (cursor.year_total - accounted_this_year);
        assert_eq!(
            u128::from(emissions.total_minted - emissions.reclaimed) + u128::from(emissions.held_back) + u128::from(ahead),
            u128::from(emissions.genesis_supply) + u128::from(emissions.reserve),
            "minted - reclaimed + held back + still scheduled != genesis + reserve"
        );
        // Reclaimed rewards paid out again were distributed twice and minted once.
        let paid_again = pool.total_reclaimed - emissions.reclaimed;
        assert_eq!(
            emissions.total_minted - emissions.genesis_supply + paid_again,
            pool.total_distributed,
            "emissions minted + reclaimed paid again != rewards distributed"
        );
        assert!(self.io_supply() <= emissions.total_minted, "supply above cumulative minted");
        assert!(pool.total_claimed <= pool.total_distributed, "claimed more than emitted");
        let reward_vault = self.token_balance(&pda::staking_reward_vault());
        assert_eq!(
            reward_vault,
            pool.total_distributed - pool.total_claimed - pool.total_reclaimed + emissions.reclaimed,
            "reward vault != distributed - claimed - reclaimed + reclaimed still unpaid"
        );
        let (mut claimed, mut owed, mut earning) = (0u64, 0u128, 0u64);
        let mut buckets = std::collections::BTreeMap::<u64, u64>::new();
        for operator in self.operators.clone() {
            let Some(data) = self.net.account_data(&pda::operator_stake(&operator)).unwrap() else { continue };
            let stake = OperatorStake::try_deserialize(&mut data.as_slice()).unwrap();
            claimed += stake.claimed_rewards;
            owed += u128::from(io_sdk::rewards::pending_rewards(&config, &stake));
            if io_sdk::rewards::lease_is_live(&config, &stake) {
                earning += stake.weight;
                *buckets.entry(stake.lease_end).or_default() += stake.weight;
            }
        }
        assert_eq!(claimed, pool.total_claimed, "sum of claims != total_claimed");
        let claimable = pool.total_distributed - pool.total_claimed - pool.total_reclaimed - pool.forfeited;
        assert!(owed <= u128::from(claimable), "operators are owed more than is neither claimed, reclaimed nor forfeited");
        assert_eq!(earning, pool.earning_weight, "sum of live weights != earning_weight");
        let held: std::collections::BTreeMap<u64, u64> =
            pool.expiring.iter().filter(|b| b.end_epoch != 0).map(|b| (b.end_epoch, b.weight)).collect();
        assert_eq!(buckets, held, "lease buckets");
    }

    /// The treasury's conservation laws: every payment split exactly (fee + rest == paid,
    /// per asset), the pool holds what was paid to it less what keepers took, the IOSD fee
    /// vault holds the fees less grants, the IO vault at least the IO fees less grants (it
    /// also receives treasury-bound slashes), and IOSD in circulation is minted - redeemed.
    pub fn check_treasury_invariants(&mut self) {
        let t = self.treasury_config().totals;
        assert_eq!(t.iosd_fee + t.iosd_to_pool, t.iosd_paid, "IOSD fee + pool != paid");
        assert_eq!(t.io_fee + t.io_burned_from_payments, t.io_paid, "IO fee + burned != paid");
        assert_eq!(self.token_balance(&pda::buyback_pool()), t.iosd_to_pool - t.iosd_spent_on_buybacks, "pool != paid in - spent");
        assert_eq!(self.token_balance(&pda::treasury_iosd_vault()), t.iosd_fee - t.iosd_granted, "IOSD vault != fees - grants");
        assert!(self.token_balance(&pda::treasury_io_vault()) >= t.io_fee - t.io_granted, "IO vault below fees - grants");
        let iosd = token::supply(&self.net.account_data(&pda::iosd_mint()).unwrap().unwrap()).unwrap();
        assert_eq!(iosd, t.iosd_minted - t.iosd_redeemed, "IOSD supply != minted - redeemed");
    }

    /// The vault holds exactly the bonded plus unbonding stake (two reads; the full
    /// per-operator sums are in [`Self::check_staking_invariants`]).
    pub fn check_vault_invariant(&mut self) -> StakingConfig {
        let config = self.staking_config();
        let vault = self.token_balance(&pda::staking_vault());
        assert_eq!(
            u128::from(vault),
            u128::from(config.total_bonded) + u128::from(config.total_unbonding),
            "vault balance != bonded + unbonding"
        );
        config
    }

    /// Every account a refused DAO instruction could have touched: the registry-wide
    /// [`Self::snapshot`], plus the governance config, every proposal (and the next id's
    /// address), every tracked operator's vote record on each, every slash proposal (and
    /// the next), the DAO PDA, and the whole account (lamports included) of each of these
    /// governance and staking accounts.
    pub fn dao_snapshot(&mut self) -> BTreeMap<Pubkey, Option<(u64, Pubkey, Vec<u8>)>> {
        let mut keys: Vec<Pubkey> = self.snapshot().into_keys().collect();
        keys.extend([pda::governance_config(), pda::dao(), pda::treasury_io_vault()]);
        let count = self.governance_config().map_or(0, |c| c.proposal_count);
        for id in 0..=count {
            let proposal = pda::proposal(id);
            keys.push(proposal);
            keys.extend(self.operators.iter().map(|o| pda::vote_record(&proposal, o)));
        }
        let slashes = self.staking_config().next_slash_id;
        keys.extend((0..=slashes).map(pda::slash_proposal));
        keys.into_iter().map(|k| (k, self.net.account(&k).unwrap().map(|a| (a.lamports, a.owner, a.data)))).collect()
    }

    /// Sends instructions that must be refused with `expected` (any program's error enum, or
    /// a [`Refusal`] naming program and code; an error inside a CPI is the callee's), and
    /// checks that no account of [`Self::dao_snapshot`] changed.
    pub fn expect_dao_error(
        &mut self,
        instructions: &[solana_sdk::instruction::Instruction],
        signers: &[&Keypair],
        expected: impl Into<Refusal>,
    ) {
        let expected = expected.into();
        let before = self.dao_snapshot();
        let err = self.net.send(instructions, signers).expect_err("instruction should fail");
        assert_eq!(Refusal::of(&err), Some(expected), "expected {expected:?}, got {err:?}");
        let after = self.dao_snapshot();
        for (key, was) in &before {
            assert!(after.get(key) == Some(was), "a refused instruction changed account {key}");
        }
        self.check_invariants();
    }

    /// The DAO's invariants: every proposal's tally is the sum of the weights recorded by
    /// the votes of tracked operators (all of them, when every voter is tracked), no tally
    /// exceeds the stake at opening, and the lifecycle fields agree with the status.
    pub fn check_governance_invariants(&mut self) {
        use io_governance::{ProposalStatus, VoteChoice, VoteRecord};
        let Some(config) = self.governance_config() else { return };
        for id in 0..config.proposal_count {
            let p = self.proposal(id);
            let (mut yes, mut no, mut abstain, mut voters) = (0u64, 0u64, 0u64, 0u64);
            for operator in self.operators.clone() {
                let record = pda::vote_record(&pda::proposal(id), &operator);
                let Some(data) = self.net.account_data(&record).unwrap() else { continue };
                let vote = VoteRecord::try_deserialize(&mut data.as_slice()).unwrap();
                assert_eq!((vote.proposal, vote.voter), (pda::proposal(id), operator));
                match vote.choice {
                    VoteChoice::Yes => yes += vote.weight,
                    VoteChoice::No => no += vote.weight,
                    VoteChoice::Abstain => abstain += vote.weight,
                }
                voters += 1;
            }
            assert!(yes <= p.yes && no <= p.no && abstain <= p.abstain && voters <= p.voters, "proposal {id}: votes above the tally");
            if voters == p.voters {
                assert_eq!((yes, no, abstain), (p.yes, p.no, p.abstain), "proposal {id}: tally != sum of its votes");
            }
            assert!(p.yes + p.no + p.abstain <= p.stake_at_open || id == 0, "proposal {id}: tally above the stake at opening");
            match p.status {
                ProposalStatus::Queued => assert!(p.executable_at >= p.voting_ends_at && p.expires_at > p.executable_at),
                ProposalStatus::Executed => assert!(p.executed_at >= p.executable_at && p.executed_at < p.expires_at),
                ProposalStatus::Cancelled => assert_eq!(p.voters, 0),
                ProposalStatus::Voting | ProposalStatus::Defeated => assert_eq!(p.executed_at, 0),
                ProposalStatus::Draft => {
                    assert_eq!((p.voters, p.opened_at, p.executed_at), (0, 0, 0), "proposal {id}: a draft was voted on");
                    assert!(p.instructions.len() <= io_governance::MAX_PROPOSAL_INSTRUCTIONS);
                }
            }
        }
    }
}
