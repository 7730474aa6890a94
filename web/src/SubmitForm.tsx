import { type FormEvent, useState } from 'react';
import { request } from './api.ts';
import { short } from './timeline.ts';

interface Result {
  readonly qcFormed: boolean;
  readonly payment: { readonly txHash: string; readonly stage: string };
  readonly rejections: readonly { readonly validator: { readonly name: string }; readonly code: string }[];
}

/** Submits a payment the payer signed elsewhere (the page never sees a key) through the submitPayment mutation. */
export function SubmitForm() {
  const [signedTx, setSignedTx] = useState('');
  const [outcome, setOutcome] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setOutcome('submitting…');
    try {
      const { submitPayment: r } = await request<{ submitPayment: Result }>(
        `mutation ($input: SubmitPaymentInput!) {
          submitPayment(input: $input) {
            qcFormed payment { txHash stage } rejections { validator { name } code }
          }
        }`,
        { input: { signedTx: signedTx.trim() } },
      );
      const refusals = r.rejections.map((x) => `${x.validator.name}: ${x.code}`).join(', ');
      setOutcome(`${short(r.payment.txHash)} ${r.payment.stage}${refusals ? ` (${refusals})` : ''}`);
    } catch (error) {
      setOutcome((error as Error).message);
    }
  };

  return (
    <form className="submit" onSubmit={submit}>
      <h2>Submit a signed payment</h2>
      <textarea
        data-testid="signed-tx"
        placeholder="0x76… (a signed Tempo transaction)"
        value={signedTx}
        onChange={(e) => setSignedTx(e.target.value)}
      />
      <button type="submit" data-testid="submit" disabled={signedTx.trim() === ''}>
        Submit
      </button>
      {outcome && <p data-testid="submit-outcome">{outcome}</p>}
    </form>
  );
}
