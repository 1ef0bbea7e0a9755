import type { VmStatus } from './vapp-status.ts';

/**
 * The demo tenant's contents, written out (no randomness: every `--demo` start and every test
 * sees the same tenant). 2 VDCs × 5 vApps × 5 VMs = 50 VMs.
 */

/** The demo users' shared password. Demo data only: printed in the seed summary on purpose. */
export const DEMO_PASSWORD = 'Demo-Passw0rd!';

export const DEMO_ORG = { name: 'acme', displayName: 'Acme Corporation', description: 'Demo tenant seeded by opendirector serve --demo' };

export type DemoUserKey = 'alice' | 'bob' | 'carol';

export const DEMO_USERS: readonly { username: DemoUserKey; fullName: string; role: string }[] = [
  { username: 'alice', fullName: 'Alice Anders', role: 'Organization Administrator' },
  { username: 'bob', fullName: 'Bob Baker', role: 'vApp Author' },
  { username: 'carol', fullName: 'Carol Chen', role: 'vApp User' },
];

/** The rights bundle that switches the API-token feature on for the demo tenant (seed 000). */
export const DEMO_TOKEN_BUNDLE = { name: 'API Tokens', description: 'Lets tenant users manage API tokens' };

interface DemoVapp {
  name: string;
  vmPrefix: string;
  owner: DemoUserKey;
  guestOs: string;
  cpuCount: number;
  memoryMb: number;
  /** How many of its 5 VMs are powered on (the first ones). */
  poweredOn: number;
}

export const DEMO_VDCS: readonly { name: string; description: string; vapps: readonly DemoVapp[] }[] = [
  {
    name: 'acme-prod', description: 'Production workloads',
    vapps: [
      { name: 'web-frontend', vmPrefix: 'web', owner: 'bob', guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 2, memoryMb: 4096, poweredOn: 5 },
      { name: 'payments-api', vmPrefix: 'pay', owner: 'bob', guestOs: 'Red Hat Enterprise Linux 9 (64-bit)', cpuCount: 4, memoryMb: 8192, poweredOn: 5 },
      { name: 'customer-db', vmPrefix: 'db', owner: 'alice', guestOs: 'Oracle Linux 8 (64-bit)', cpuCount: 8, memoryMb: 32768, poweredOn: 4 },
      { name: 'monitoring', vmPrefix: 'mon', owner: 'carol', guestOs: 'Debian GNU/Linux 12 (64-bit)', cpuCount: 2, memoryMb: 4096, poweredOn: 3 },
      { name: 'erp-legacy', vmPrefix: 'erp', owner: 'alice', guestOs: 'Microsoft Windows Server 2019 (64-bit)', cpuCount: 4, memoryMb: 16384, poweredOn: 2 },
    ],
  },
  {
    name: 'acme-dev', description: 'Development and test',
    vapps: [
      { name: 'ci-runners', vmPrefix: 'ci', owner: 'bob', guestOs: 'Ubuntu Linux (64-bit)', cpuCount: 4, memoryMb: 8192, poweredOn: 5 },
      { name: 'k8s-sandbox', vmPrefix: 'k8s', owner: 'carol', guestOs: 'VMware Photon OS (64-bit)', cpuCount: 2, memoryMb: 8192, poweredOn: 3 },
      { name: 'qa-env', vmPrefix: 'qa', owner: 'carol', guestOs: 'Microsoft Windows Server 2022 (64-bit)', cpuCount: 2, memoryMb: 8192, poweredOn: 0 },
      { name: 'data-lab', vmPrefix: 'lab', owner: 'alice', guestOs: 'Rocky Linux 9 (64-bit)', cpuCount: 8, memoryMb: 16384, poweredOn: 1 },
      { name: 'mail-relay', vmPrefix: 'mail', owner: 'bob', guestOs: 'Debian GNU/Linux 12 (64-bit)', cpuCount: 1, memoryMb: 2048, poweredOn: 2 },
    ],
  },
];

export const VMS_PER_VAPP = 5;

/** The VMs of one demo vApp: `<prefix>-01` … `-05`; the first is the bigger "primary". */
export function demoVms(vapp: DemoVapp): { name: string; guestOs: string; cpuCount: number; memoryMb: number; status: VmStatus }[] {
  return Array.from({ length: VMS_PER_VAPP }, (_, i) => ({
    name: `${vapp.vmPrefix}-${String(i + 1).padStart(2, '0')}`,
    guestOs: vapp.guestOs,
    cpuCount: i === 0 ? vapp.cpuCount * 2 : vapp.cpuCount,
    memoryMb: i === 0 ? vapp.memoryMb * 2 : vapp.memoryMb,
    status: i < vapp.poweredOn ? 'POWERED_ON' : 'POWERED_OFF',
  }));
}
