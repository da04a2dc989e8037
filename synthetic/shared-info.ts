import {
  Arch,
  decodeSharedInfoPageArm,
  decodeSharedInfoPageX8632,
  decodeSharedInfoPageX8664,
  SHARED_INFO_PAGE_ARM_SIZE,
  SHARED_INFO_PAGE_X86_32_SIZE,
  SHARED_INFO_PAGE_X86_64_SIZE,
  type SharedInfoBody,
} from "../generated/index.js";
import type { SeededRandom } from "./random.js";
import { zeroed } from "./template.js";

/** A shared-info page: wall clock set, per-vcpu time records, an event pending on vcpu 0. */
export function sharedInfoPage(rng: SeededRandom, arch: number, vcpus: number, maxPfn: number): SharedInfoBody {
  const wallClock = 1_764_000_000 + rng.below(1_000_000);
  if (arch === Arch.x86_64) {
    const page = zeroed(decodeSharedInfoPageX8664, SHARED_INFO_PAGE_X86_64_SIZE);
    const s = page.sharedInfo;
    s.vcpuInfo.slice(0, vcpus).forEach((v, i) => {
      v.time.version = 2 * (i + 1);
      v.time.tscTimestamp = rng.u64() >> 8n;
      v.time.systemTime = BigInt(rng.u32()) * 1000n;
      v.time.tscToSystemMul = 0xd555_5555;
      v.time.tscShift = -1;
    });
    s.vcpuInfo[0]!.evtchnUpcallPending = 1;
    s.vcpuInfo[0]!.evtchnPendingSel = 1n;
    s.evtchnPending[0] = 0b100n;
    s.wcVersion = 2;
    s.wcSec = wallClock;
    s.wcNsec = rng.below(1_000_000_000);
    s.arch.maxPfn = BigInt(maxPfn);
    return page;
  }
  if (arch === Arch.x86_32) {
    const page = zeroed(decodeSharedInfoPageX8632, SHARED_INFO_PAGE_X86_32_SIZE);
    const s = page.sharedInfo;
    s.wcVersion = 2;
    s.wcSec = wallClock;
    s.arch.maxPfn = maxPfn;
    s.vcpuInfo[0]!.evtchnUpcallPending = 1;
    return page;
  }
  const page = zeroed(decodeSharedInfoPageArm, SHARED_INFO_PAGE_ARM_SIZE);
  page.sharedInfo.wcVersion = 2;
  page.sharedInfo.wcSec = wallClock;
  return page;
}
