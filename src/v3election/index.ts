export { campaign, proclaim, resign, currentLeader, observe, ErrElectionNotLeader, ErrElectionNoLeader, ErrMissingLeaderKey, type LeaderKey } from './election.js';
