#!/usr/bin/env node
import { main } from '../dist/src/cli/etcdctl/main.js';
void main();
