import { ApiError } from '../../errors.js';

const PROVIDER_TIMEOUT_MS = 10_000;

export interface ProviderAnswer {
  status: number;
  text: string;
}

/** A provider's refusal as a clear error: its own code and description travel in details. */
export function providerError(provider: string, step: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError('provider_error', `${provider} ${step}: ${message}`, { provider, step, ...extra });
}

/** One server-to-server call to a provider; unreachable or slow providers become `provider_error`. */
export async function callProvider(provider: string, step: string, url: string, init: RequestInit = {}): Promise<ProviderAnswer> {
  try {
    const response = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    throw providerError(provider, step, 'the provider could not be reached', { reason: (error as Error).message });
  }
}
