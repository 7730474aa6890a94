// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @notice The two TIP-20 calls the escrow makes (TIP-20 is ERC-20 compatible).
interface ITIP20 {
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function transfer(address to, uint256 amount) external returns (bool);
}

/// @title AllegroEscrow: custody for ESCROWED Allegro payments (ARCHITECTURE.md "What a QC guarantees").
/// @notice Escrowed funds move only
///   (a) by `settle`: a payment authorized by its payer (EIP-712 signature over the payment) and certified by a
///       threshold of the registered committee (secp256k1 settlement signatures over the payment id and the
///       committee epoch), at most once per (payer, lane, seq), strictly before its deadline; the amount moves
///       from the payer's escrow balance to the recipient's escrow balance, where a child payment can spend it;
///   (b) by a withdrawal announced on chain and completed no sooner than `withdrawalDelay` seconds later.
///       An announcement does not lock funds: payments settled meanwhile take precedence, and completion pays
///       out what is left of the announced amount. Sidecars count announced amounts as spent (`announcedOf`).
/// A child payment names its parent's payment id; it settles only once the parent is settled. `settleChain`
/// settles a parent (unless already settled) and its child in one transaction.
/// The committee rotates itself: a rotation to epoch+1 is signed by a threshold of the current committee.
/// Only QCs of the current epoch settle; the outgoing committee lets its QCs settle or expire before rotating.
contract AllegroEscrow {
    struct Payment {
        address payer;
        address recipient;
        address token;
        uint256 amount;
        uint256 lane;
        uint64 seq;
        uint64 deadline;
        bytes32 parent;
    }

    struct Withdrawal {
        address owner;
        address token;
        uint256 amount;
        uint64 executableAt;
    }

    bytes32 public constant PAYMENT_TYPEHASH = keccak256(
        "Payment(address payer,address recipient,address token,uint256 amount,uint256 lane,uint64 seq,uint64 deadline,bytes32 parent)"
    );
    bytes32 public constant SETTLEMENT_TYPEHASH = keccak256("Settlement(bytes32 paymentId,uint64 epoch)");
    bytes32 public constant ROTATION_TYPEHASH =
        keccak256("Rotation(uint64 epoch,address[] members,uint256 threshold)");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice Seconds between a withdrawal's announcement and the earliest completion.
    uint64 public immutable withdrawalDelay;

    uint64 public epoch;
    uint256 public threshold;
    address[] private members;
    mapping(uint64 => mapping(address => bool)) private memberOf;

    mapping(address => mapping(address => uint256)) public balanceOf;
    mapping(address => mapping(address => uint256)) public announcedOf;
    mapping(address => mapping(uint256 => mapping(uint64 => bool))) public usedSeq;
    mapping(address => mapping(uint256 => uint64)) public nextSeq;
    mapping(bytes32 => bool) public settled;
    mapping(uint256 => Withdrawal) public withdrawals;
    uint256 public withdrawalCount;

    event Deposited(address indexed owner, address indexed token, uint256 amount);
    event PaymentSettled(
        bytes32 indexed id, address indexed payer, address indexed recipient, address token, uint256 amount,
        uint256 lane, uint64 seq, bytes32 parent
    );
    event WithdrawalAnnounced(
        uint256 indexed id, address indexed owner, address indexed token, uint256 amount, uint64 executableAt
    );
    event WithdrawalCompleted(uint256 indexed id, address indexed owner, address indexed token, uint256 amount);
    event CommitteeRotated(uint64 indexed epoch, uint256 threshold, address[] members);

    error InvalidCommittee();
    error BadSignature();
    error BadPayerSignature();
    error SignersNotAscending();
    error NotCommitteeMember(address signer);
    error BelowThreshold(uint256 signers, uint256 threshold);
    error SeqUsed(address payer, uint256 lane, uint64 seq);
    error PaymentExpired(uint64 deadline);
    error ParentNotSettled(bytes32 parent);
    error NotParent(bytes32 expected, bytes32 given);
    error InsufficientEscrow(uint256 balance, uint256 amount);
    error ZeroAmount();
    error UnknownWithdrawal(uint256 id);
    error WithdrawalNotReady(uint64 executableAt);
    error TransferFailed();

    /// @param initial committee (epoch 0): settlement-key addresses, strictly ascending.
    /// @param quorum signatures needed: at least n - floor((n-1)/3) (2f+1 for n = 3f+1) and at most n.
    /// @param delay seconds a withdrawal waits between announcement and completion (W).
    constructor(address[] memory initial, uint256 quorum, uint64 delay) {
        withdrawalDelay = delay;
        _install(0, initial, quorum);
    }

    /// @notice The current committee.
    function committee() external view returns (uint64, uint256, address[] memory) {
        return (epoch, threshold, members);
    }

    /// @notice EIP-712 domain separator (name "AllegroEscrow", version "1", this chain, this contract).
    function domainSeparator() public view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("AllegroEscrow"), keccak256("1"), block.chainid, address(this))
        );
    }

    /// @notice The payment id: the EIP-712 digest of the payment, which its payer signs.
    function paymentDigest(Payment calldata p) public view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                PAYMENT_TYPEHASH, p.payer, p.recipient, p.token, p.amount, p.lane, p.seq, p.deadline, p.parent
            )
        );
        return _typed(structHash);
    }

    /// @notice The EIP-712 digest a validator signs with its settlement key: the payment id and the epoch.
    function settlementDigest(Payment calldata p, uint64 atEpoch) public view returns (bytes32) {
        return _typed(keccak256(abi.encode(SETTLEMENT_TYPEHASH, paymentDigest(p), atEpoch)));
    }

    /// @notice The EIP-712 digest the current committee signs to install `next` at epoch + 1.
    function rotationDigest(uint64 toEpoch, address[] calldata next, uint256 quorum) public view returns (bytes32) {
        return _typed(keccak256(abi.encode(ROTATION_TYPEHASH, toEpoch, keccak256(abi.encodePacked(next)), quorum)));
    }

    /// @notice Moves `amount` of `token` from the caller (who approved this contract) into its escrow balance.
    function deposit(address token, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (!ITIP20(token).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        balanceOf[msg.sender][token] += amount;
        emit Deposited(msg.sender, token, amount);
    }

    /// @notice Executes a payment certified by the committee; see the contract notice for the rules.
    /// @param certSigs 65-byte (r, s, v) settlement signatures, ordered by strictly ascending signer address.
    function settle(Payment calldata p, bytes calldata payerSig, bytes[] calldata certSigs) external {
        _settle(p, payerSig, certSigs);
    }

    /// @notice Settles `parent` unless it is already settled, then `child`, which must name it; atomic.
    function settleChain(
        Payment calldata parent,
        bytes calldata parentPayerSig,
        bytes[] calldata parentCertSigs,
        Payment calldata child,
        bytes calldata childPayerSig,
        bytes[] calldata childCertSigs
    ) external {
        bytes32 parentId = paymentDigest(parent);
        if (child.parent != parentId) revert NotParent(parentId, child.parent);
        if (!settled[parentId]) _settle(parent, parentPayerSig, parentCertSigs);
        _settle(child, childPayerSig, childCertSigs);
    }

    /// @notice Announces a withdrawal of `amount` of `token` by the caller, executable after `withdrawalDelay`.
    function announceWithdrawal(address token, uint256 amount) external returns (uint256 id) {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balanceOf[msg.sender][token];
        uint256 announced = announcedOf[msg.sender][token] + amount;
        if (announced > balance) revert InsufficientEscrow(balance, announced);
        id = ++withdrawalCount;
        uint64 executableAt = uint64(block.timestamp) + withdrawalDelay;
        withdrawals[id] = Withdrawal(msg.sender, token, amount, executableAt);
        announcedOf[msg.sender][token] = announced;
        emit WithdrawalAnnounced(id, msg.sender, token, amount, executableAt);
    }

    /// @notice Pays out announced withdrawal `id` to its owner once `withdrawalDelay` has passed; pays what is left
    /// of the announced amount when payments settled in the meantime spent part of it.
    function completeWithdrawal(uint256 id) external {
        Withdrawal memory w = withdrawals[id];
        if (w.owner == address(0)) revert UnknownWithdrawal(id);
        if (block.timestamp < w.executableAt) revert WithdrawalNotReady(w.executableAt);
        delete withdrawals[id];
        announcedOf[w.owner][w.token] -= w.amount;
        uint256 amount = _min(w.amount, balanceOf[w.owner][w.token]);
        balanceOf[w.owner][w.token] -= amount;
        if (amount > 0 && !ITIP20(w.token).transfer(w.owner, amount)) revert TransferFailed();
        emit WithdrawalCompleted(id, w.owner, w.token, amount);
    }

    /// @notice Installs `next` (strictly ascending, quorum as in the constructor) as the committee of epoch + 1,
    /// authorized by a threshold of the current committee's signatures over `rotationDigest(epoch + 1, ...)`.
    function rotateCommittee(address[] calldata next, uint256 quorum, bytes[] calldata sigs) external {
        uint64 toEpoch = epoch + 1;
        _checkQuorum(rotationDigest(toEpoch, next, quorum), sigs);
        _install(toEpoch, next, quorum);
    }

    function _settle(Payment calldata p, bytes calldata payerSig, bytes[] calldata certSigs) private {
        if (block.timestamp >= p.deadline) revert PaymentExpired(p.deadline);
        if (usedSeq[p.payer][p.lane][p.seq]) revert SeqUsed(p.payer, p.lane, p.seq);
        if (p.parent != bytes32(0) && !settled[p.parent]) revert ParentNotSettled(p.parent);
        bytes32 id = paymentDigest(p);
        address payer = _recover(id, payerSig);
        if (payer == address(0) || payer != p.payer) revert BadPayerSignature();
        _checkQuorum(settlementDigest(p, epoch), certSigs);
        uint256 balance = balanceOf[p.payer][p.token];
        if (p.amount > balance) revert InsufficientEscrow(balance, p.amount);
        usedSeq[p.payer][p.lane][p.seq] = true;
        if (p.seq >= nextSeq[p.payer][p.lane]) nextSeq[p.payer][p.lane] = p.seq + 1;
        settled[id] = true;
        balanceOf[p.payer][p.token] = balance - p.amount;
        balanceOf[p.recipient][p.token] += p.amount;
        emit PaymentSettled(id, p.payer, p.recipient, p.token, p.amount, p.lane, p.seq, p.parent);
    }

    /// @dev Reverts unless `sigs` are at least `threshold` signatures of distinct current members over `digest`,
    /// in strictly ascending signer order (which rules out duplicates).
    function _checkQuorum(bytes32 digest, bytes[] calldata sigs) private view {
        if (sigs.length < threshold) revert BelowThreshold(sigs.length, threshold);
        address previous = address(0);
        for (uint256 i = 0; i < sigs.length; i++) {
            address signer = _recover(digest, sigs[i]);
            if (signer == address(0)) revert BadSignature();
            if (signer <= previous) revert SignersNotAscending();
            if (!memberOf[epoch][signer]) revert NotCommitteeMember(signer);
            previous = signer;
        }
    }

    function _install(uint64 toEpoch, address[] memory next, uint256 quorum) private {
        uint256 n = next.length;
        if (n == 0 || quorum > n || quorum < n - (n - 1) / 3) revert InvalidCommittee();
        address previous = address(0);
        for (uint256 i = 0; i < n; i++) {
            if (next[i] <= previous) revert InvalidCommittee();
            memberOf[toEpoch][next[i]] = true;
            previous = next[i];
        }
        epoch = toEpoch;
        threshold = quorum;
        members = next;
        emit CommitteeRotated(toEpoch, quorum, next);
    }

    function _typed(bytes32 structHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19\x01", domainSeparator(), structHash));
    }

    /// @dev ecrecover of a 65-byte (r, s, v) signature with v 27/28 (0/1 accepted) and low s; zero when malformed.
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (address) {
        if (sig.length != 65) return address(0);
        bytes32 r = bytes32(sig[0:32]);
        bytes32 s = bytes32(sig[32:64]);
        uint8 v = uint8(sig[64]);
        if (v < 27) v += 27;
        if ((v != 27 && v != 28) || uint256(s) > HALF_CURVE_ORDER) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
