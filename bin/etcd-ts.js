#!/usr/bin/env node
import { ensureBuilt } from './ensure-built.mjs';

ensureBuilt('dist/src/cli/etcd.js');
await import('../dist/src/cli/etcd.js');
