import { expect } from '@playwright/test';
import { shareResponse, type Share } from '../../protocol/shares.js';
import { jsonRequest } from '../helpers/jsonRequest.js';
import type { UiWorld } from './uiHarness.js';

/** A share link of the world's user, made through the service's API (`body` as `POST /shares` takes it). */
export async function createShare(world: UiWorld, body: Record<string, unknown>): Promise<Share> {
  const response = await jsonRequest(world.api, 'POST', '/shares', { headers: world.user!.auth, body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return shareResponse.parse(response.body).share;
}
