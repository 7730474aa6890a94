/**
 * Payment lifecycle stages. The proto keeps its own numbering (reference §2.1 `TxLifecycleUpdate.Stage`);
 * the API names follow ARCHITECTURE.md. Map between them, never renumber.
 */

/** `TxLifecycleUpdate.Stage` values on the wire. Values above 5 are Allegro additions. */
export enum WireStage {
  UNSPECIFIED = 0,
  ACCEPTED = 1,
  CERTIFIED = 2,
  QUEUED_ONCHAIN = 3,
  INCLUDED = 4,
  FINALIZED = 5,
  QC_FORMED = 6,
  REJECTED = 7,
  EXPIRED = 8,
  FAILED = 9,
}

/** Stage names of the GraphQL/REST API. */
export type ApiStage =
  | 'SUBMITTED'
  | 'CERTIFIED'
  | 'QC_FORMED'
  | 'QUEUED_ONCHAIN'
  | 'INCLUDED'
  | 'FINALIZED'
  | 'REJECTED'
  | 'EXPIRED'
  | 'FAILED';

const API_TO_WIRE: Record<ApiStage, WireStage> = {
  SUBMITTED: WireStage.ACCEPTED,
  CERTIFIED: WireStage.CERTIFIED,
  QC_FORMED: WireStage.QC_FORMED,
  QUEUED_ONCHAIN: WireStage.QUEUED_ONCHAIN,
  INCLUDED: WireStage.INCLUDED,
  FINALIZED: WireStage.FINALIZED,
  REJECTED: WireStage.REJECTED,
  EXPIRED: WireStage.EXPIRED,
  FAILED: WireStage.FAILED,
};

/** Wire value of an API stage. */
export function apiStageToWire(stage: ApiStage): WireStage {
  return API_TO_WIRE[stage];
}

/** API name of a wire stage; `undefined` for UNSPECIFIED or unknown values. */
export function wireStageToApi(stage: number): ApiStage | undefined {
  for (const [api, wire] of Object.entries(API_TO_WIRE)) if (wire === stage) return api as ApiStage;
  return undefined;
}

/** One stage a payment reached, as a sidecar saw it (proto `TxLifecycleUpdate`). */
export interface LifecycleUpdate {
  readonly txHash: Uint8Array;
  readonly stage: WireStage;
  readonly unixMillis: bigint;
  readonly blockHeight: bigint;
  readonly blockHash?: Uint8Array;
  readonly message?: string;
}

/** The stages after which nothing more happens to a payment: the one set every layer uses. */
export const TERMINAL_STAGES: ReadonlySet<ApiStage> = new Set(['FINALIZED', 'REJECTED', 'EXPIRED', 'FAILED']);

/** Whether a wire stage is terminal (TERMINAL_STAGES). */
export function isTerminalStage(stage: WireStage): boolean {
  const api = wireStageToApi(stage);
  return api !== undefined && TERMINAL_STAGES.has(api);
}
