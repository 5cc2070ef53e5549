/** Every case, in the order they run. */
import type { Case } from '../case';
import { authCases } from './auth';
import { badInputCases } from './badInput';
import { coreCases } from './core';
import { crudCases } from './crud';
import { deleteCases } from './delete';
import { discoveryCases } from './discovery';
import { kubectlCases } from './kubectl';
import { patchCases } from './patch';
import { routingCases } from './routing';
import { tableCases } from './table';
import { updateCases } from './update';
import { validationCases } from './validation';
import { watchCases } from './watch';

export const ALL_CASES: Case[] = [
  ...discoveryCases,
  ...crudCases,
  ...updateCases,
  ...patchCases,
  ...deleteCases,
  ...watchCases,
  ...tableCases,
  ...kubectlCases,
  ...validationCases,
  ...coreCases,
  ...authCases,
  ...badInputCases,
  ...routingCases,
];
