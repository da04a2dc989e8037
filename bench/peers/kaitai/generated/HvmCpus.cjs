// Compiled from bench/peers/kaitai/hvm_cpus.ksy by kaitai-struct-compiler 0.11.0. Do not edit: run npm run bench:kaitai.
// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.HvmCpus || (root.HvmCpus = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (HvmCpus_, KaitaiStream) {
var HvmCpus = (function() {
  function HvmCpus(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  HvmCpus.prototype._read = function() {
    this.entries = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.entries.push(new HvmHwCpu(this._io, this, this._root));
      i++;
    }
  }

  var HvmHwCpu = HvmCpus.HvmHwCpu = (function() {
    function HvmHwCpu(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmHwCpu.prototype._read = function() {
      this.fpuRegs = this._io.readBytes(512);
      this.rax = this._io.readU8le();
      this.rbx = this._io.readU8le();
      this.rcx = this._io.readU8le();
      this.rdx = this._io.readU8le();
      this.rbp = this._io.readU8le();
      this.rsi = this._io.readU8le();
      this.rdi = this._io.readU8le();
      this.rsp = this._io.readU8le();
      this.r8 = this._io.readU8le();
      this.r9 = this._io.readU8le();
      this.r10 = this._io.readU8le();
      this.r11 = this._io.readU8le();
      this.r12 = this._io.readU8le();
      this.r13 = this._io.readU8le();
      this.r14 = this._io.readU8le();
      this.r15 = this._io.readU8le();
      this.rip = this._io.readU8le();
      this.rflags = this._io.readU8le();
      this.cr0 = this._io.readU8le();
      this.cr2 = this._io.readU8le();
      this.cr3 = this._io.readU8le();
      this.cr4 = this._io.readU8le();
      this.dr0 = this._io.readU8le();
      this.dr1 = this._io.readU8le();
      this.dr2 = this._io.readU8le();
      this.dr3 = this._io.readU8le();
      this.dr6 = this._io.readU8le();
      this.dr7 = this._io.readU8le();
      this.csSel = this._io.readU4le();
      this.dsSel = this._io.readU4le();
      this.esSel = this._io.readU4le();
      this.fsSel = this._io.readU4le();
      this.gsSel = this._io.readU4le();
      this.ssSel = this._io.readU4le();
      this.trSel = this._io.readU4le();
      this.ldtrSel = this._io.readU4le();
      this.csLimit = this._io.readU4le();
      this.dsLimit = this._io.readU4le();
      this.esLimit = this._io.readU4le();
      this.fsLimit = this._io.readU4le();
      this.gsLimit = this._io.readU4le();
      this.ssLimit = this._io.readU4le();
      this.trLimit = this._io.readU4le();
      this.ldtrLimit = this._io.readU4le();
      this.idtrLimit = this._io.readU4le();
      this.gdtrLimit = this._io.readU4le();
      this.csBase = this._io.readU8le();
      this.dsBase = this._io.readU8le();
      this.esBase = this._io.readU8le();
      this.fsBase = this._io.readU8le();
      this.gsBase = this._io.readU8le();
      this.ssBase = this._io.readU8le();
      this.trBase = this._io.readU8le();
      this.ldtrBase = this._io.readU8le();
      this.idtrBase = this._io.readU8le();
      this.gdtrBase = this._io.readU8le();
      this.csArbytes = this._io.readU4le();
      this.dsArbytes = this._io.readU4le();
      this.esArbytes = this._io.readU4le();
      this.fsArbytes = this._io.readU4le();
      this.gsArbytes = this._io.readU4le();
      this.ssArbytes = this._io.readU4le();
      this.trArbytes = this._io.readU4le();
      this.ldtrArbytes = this._io.readU4le();
      this.sysenterCs = this._io.readU8le();
      this.sysenterEsp = this._io.readU8le();
      this.sysenterEip = this._io.readU8le();
      this.shadowGs = this._io.readU8le();
      this.msrFlags = this._io.readU8le();
      this.msrLstar = this._io.readU8le();
      this.msrStar = this._io.readU8le();
      this.msrCstar = this._io.readU8le();
      this.msrSyscallMask = this._io.readU8le();
      this.msrEfer = this._io.readU8le();
      this.msrTscAux = this._io.readU8le();
      this.tsc = this._io.readU8le();
      this.pendingEvent = new HvmPendingEvent(this._io, this, this._root);
      this.errorCode = this._io.readU4le();
      this.flags = this._io.readU4le();
      this._unnamed80 = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed80, new Uint8Array([0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0]), this._unnamed80, this._io, "/types/hvm_hw_cpu/seq/80");
      }
    }

    return HvmHwCpu;
  })();

  var HvmPendingEvent = HvmCpus.HvmPendingEvent = (function() {
    function HvmPendingEvent(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    HvmPendingEvent.prototype._read = function() {
      this.pendingVector = this._io.readBitsIntLe(8);
      this.pendingType = this._io.readBitsIntLe(3);
      this.pendingErrorValid = this._io.readBitsIntLe(1) != 0;
      this.pendingReserved = this._io.readBitsIntLe(19);
      this.pendingValid = this._io.readBitsIntLe(1) != 0;
    }

    return HvmPendingEvent;
  })();

  return HvmCpus;
})();
HvmCpus_.HvmCpus = HvmCpus;
});
