/**
 * Tempo prices gas in attodollars (10^-18 USD) while TIP-20 fee tokens have 6 decimals (10^-6 USD), so the chain
 * divides gas × price by 10^12 and rounds up: `tempo_primitives::transaction::TEMPO_GAS_PRICE_SCALING_FACTOR` and
 * `calc_gas_balance_spending(gas_limit, gas_price) = ceil(gas_limit × gas_price / 10^12)`.
 */
export const TEMPO_GAS_PRICE_SCALING_FACTOR = 10n ** 12n;

/**
 * The most a tx can be charged, in base units of its fee token: ceil(gasLimit × maxFeePerGas / 10^12), which is
 * what Tempo reserves up front (`calc_gas_balance_spending` with the fee cap). For legacy and EIP-2930 txs the fee
 * cap is `gasPrice`. Reference §14 ("gas fees are ignored") is the weakness this fixes.
 */
export function maxFeeInFeeTokenUnits(gasLimit: bigint, maxFeePerGas: bigint): bigint {
  const atto = gasLimit * maxFeePerGas;
  return (atto + TEMPO_GAS_PRICE_SCALING_FACTOR - 1n) / TEMPO_GAS_PRICE_SCALING_FACTOR;
}
