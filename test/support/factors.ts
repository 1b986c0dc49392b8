import { CustomerFactors, CustomerFactorSummary } from '../../src/common/customer-factors';
import type { TestApp } from './app';

/**
 * The factors a customer enrolled (CustomerFactors without the directory's phone, which every customer with a
 * phone number lists as `sms` and nobody enrols here).
 */
export async function enrolledFactors(t: TestApp, cupid: string): Promise<CustomerFactorSummary[]> {
  return (await t.app.get(CustomerFactors).list(cupid)).filter((factor) => factor.kind !== 'sms');
}
