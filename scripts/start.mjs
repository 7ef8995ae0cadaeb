#!/usr/bin/env node
// `npm start`: build, make the native addons Electron's, then launch the app.
// With no server configured the app starts its embedded local service.
import { spawn, spawnSync } from 'node:child_process';
import { ensureElectronBuild } from './nativeAbi.mjs';

if (spawnSync('npm', ['run', 'build'], { stdio: 'inherit' }).status !== 0) process.exit(1);
ensureElectronBuild();
const electron = spawn('npx', ['electron', '.', ...process.argv.slice(2)], { stdio: 'inherit' });
electron.on('exit', (code) => process.exit(code ?? 1));
