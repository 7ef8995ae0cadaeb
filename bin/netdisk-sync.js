#!/usr/bin/env node
import { preferSmallHeap } from '../dist/app/base/heapPolicy.js';
import { main } from '../dist/app/cli/main.js';

// First thing: a process that syncs keeps its heap small (app/base/heapPolicy.ts).
preferSmallHeap();

process.exitCode = await main(process.argv.slice(2));
