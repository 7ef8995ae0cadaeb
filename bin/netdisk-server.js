#!/usr/bin/env node
import { main } from '../dist/server/server.js';

await main(process.argv.slice(2));
