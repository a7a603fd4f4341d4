//! The harness for the DAO: proposals from opening to execution.

use super::*;

impl Harness {
    pub fn governance_config(&mut self) -> Option<io_governance::GovernanceConfig> {
        io_sdk::client::fetch_opt(&mut self.net, &pda::governance_config()).unwrap()
    }

    pub fn proposal(&mut self, id: u64) -> io_governance::Proposal {
        fetch(&mut self.net, &pda::proposal(id)).unwrap()
    }

    /// Opens a proposal carrying `actions`; returns its id.
    pub fn propose(&mut self, proposer: &Keypair, actions: &[solana_sdk::instruction::Instruction]) -> u64 {
        let id = self.governance_config().expect("the DAO is open").proposal_count;
        let payer = self.net.payer();
        let hash = io_sdk::governance::description_hash(&format!("proposal {id}"));
        // One transaction when the proposal fits one; a draft, appends and the opening
        // otherwise.
        let steps = io_sdk::governance::propose(&payer, &proposer.pubkey(), id, hash, "https://gov.io.example/p", actions)
            .expect("every action fits a transaction");
        for step in steps {
            self.ok(&[step], &[proposer]);
        }
        id
    }

    pub fn vote(&mut self, voter: &Keypair, id: u64, choice: io_governance::VoteChoice) {
        self.ok(&[io_sdk::governance::cast_vote(&voter.pubkey(), id, choice)], &[voter]);
    }

    /// Moves the clock to the end of proposal `id`'s voting period and queues it.
    pub fn end_vote_and_queue(&mut self, id: u64) -> io_governance::Proposal {
        let p = self.proposal(id);
        let now = self.net.unix_time().unwrap();
        if now < p.voting_ends_at {
            self.net.advance_clock(p.voting_ends_at - now);
        }
        self.ok(&[io_sdk::governance::queue_proposal(id)], &[]);
        self.proposal(id)
    }

    /// Moves the clock past a queued proposal's timelock and executes it.
    pub fn execute(&mut self, id: u64) -> io_sdk::client::TxOutcome {
        let p = self.proposal(id);
        let now = self.net.unix_time().unwrap();
        if now < p.executable_at {
            self.net.advance_clock(p.executable_at - now);
        }
        self.ok(&[io_sdk::governance::execute_proposal(id, &p.instructions)], &[])
    }

    /// Opens a proposal that its proposer alone carries (a yes vote), ends the vote and
    /// queues it; returns its id. The proposer must hold enough of the stake for quorum.
    pub fn passed_proposal(&mut self, proposer: &Keypair, actions: &[solana_sdk::instruction::Instruction]) -> u64 {
        let id = self.propose(proposer, actions);
        self.vote(proposer, id, io_governance::VoteChoice::Yes);
        let p = self.end_vote_and_queue(id);
        assert_eq!(p.status, io_governance::ProposalStatus::Queued, "proposal {id} should have passed");
        id
    }
}
