// Compiled from bench/peers/kaitai/vcpu_contexts.ksy by kaitai-struct-compiler 0.11.0. Do not edit: run npm run bench:kaitai.
// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.VcpuContexts || (root.VcpuContexts = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (VcpuContexts_, KaitaiStream) {
var VcpuContexts = (function() {
  function VcpuContexts(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  VcpuContexts.prototype._read = function() {
    this.entries = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.entries.push(new VcpuGuestContextX8664(this._io, this, this._root));
      i++;
    }
  }

  var CpuUserRegsX8664 = VcpuContexts.CpuUserRegsX8664 = (function() {
    function CpuUserRegsX8664(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    CpuUserRegsX8664.prototype._read = function() {
      this.r15 = this._io.readU8le();
      this.r14 = this._io.readU8le();
      this.r13 = this._io.readU8le();
      this.r12 = this._io.readU8le();
      this.rbp = this._io.readU8le();
      this.rbx = this._io.readU8le();
      this.r11 = this._io.readU8le();
      this.r10 = this._io.readU8le();
      this.r9 = this._io.readU8le();
      this.r8 = this._io.readU8le();
      this.rax = this._io.readU8le();
      this.rcx = this._io.readU8le();
      this.rdx = this._io.readU8le();
      this.rsi = this._io.readU8le();
      this.rdi = this._io.readU8le();
      this.errorCode = this._io.readU4le();
      this.entryVector = this._io.readU4le();
      this.rip = this._io.readU8le();
      this.cs = this._io.readU2le();
      this._unnamed19 = this._io.readBytes(2);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed19, new Uint8Array([0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0]), this._unnamed19, this._io, "/types/cpu_user_regs_x86_64/seq/19");
      }
      this.savedUpcallMask = this._io.readU1();
      this._unnamed21 = this._io.readBytes(3);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed21, new Uint8Array([0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0]), this._unnamed21, this._io, "/types/cpu_user_regs_x86_64/seq/21");
      }
      this.rflags = this._io.readU8le();
      this.rsp = this._io.readU8le();
      this.ss = this._io.readU2le();
      this._unnamed25 = this._io.readBytes(6);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed25, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this._unnamed25, this._io, "/types/cpu_user_regs_x86_64/seq/25");
      }
      this.es = this._io.readU2le();
      this._unnamed27 = this._io.readBytes(6);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed27, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this._unnamed27, this._io, "/types/cpu_user_regs_x86_64/seq/27");
      }
      this.ds = this._io.readU2le();
      this._unnamed29 = this._io.readBytes(6);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed29, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this._unnamed29, this._io, "/types/cpu_user_regs_x86_64/seq/29");
      }
      this.fs = this._io.readU2le();
      this._unnamed31 = this._io.readBytes(6);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed31, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this._unnamed31, this._io, "/types/cpu_user_regs_x86_64/seq/31");
      }
      this.gs = this._io.readU2le();
      this._unnamed33 = this._io.readBytes(6);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed33, new Uint8Array([0, 0, 0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0, 0, 0]), this._unnamed33, this._io, "/types/cpu_user_regs_x86_64/seq/33");
      }
    }

    return CpuUserRegsX8664;
  })();

  var TrapInfoX8664 = VcpuContexts.TrapInfoX8664 = (function() {
    function TrapInfoX8664(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    TrapInfoX8664.prototype._read = function() {
      this.vector = this._io.readU1();
      this.flags = this._io.readU1();
      this.cs = this._io.readU2le();
      this._unnamed3 = this._io.readBytes(4);
      if (!((KaitaiStream.byteArrayCompare(this._unnamed3, new Uint8Array([0, 0, 0, 0])) == 0))) {
        throw new KaitaiStream.ValidationNotEqualError(new Uint8Array([0, 0, 0, 0]), this._unnamed3, this._io, "/types/trap_info_x86_64/seq/3");
      }
      this.address = this._io.readU8le();
    }

    return TrapInfoX8664;
  })();

  var VcpuGuestContextX8664 = VcpuContexts.VcpuGuestContextX8664 = (function() {
    function VcpuGuestContextX8664(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    VcpuGuestContextX8664.prototype._read = function() {
      this.fpuCtxt = this._io.readBytes(512);
      this.flags = this._io.readU8le();
      this.userRegs = new CpuUserRegsX8664(this._io, this, this._root);
      this.trapCtxt = [];
      for (var i = 0; i < 256; i++) {
        this.trapCtxt.push(new TrapInfoX8664(this._io, this, this._root));
      }
      this.ldtBase = this._io.readU8le();
      this.ldtEnts = this._io.readU8le();
      this.gdtFrames = [];
      for (var i = 0; i < 16; i++) {
        this.gdtFrames.push(this._io.readU8le());
      }
      this.gdtEnts = this._io.readU8le();
      this.kernelSs = this._io.readU8le();
      this.kernelSp = this._io.readU8le();
      this.ctrlreg = [];
      for (var i = 0; i < 8; i++) {
        this.ctrlreg.push(this._io.readU8le());
      }
      this.debugreg = [];
      for (var i = 0; i < 8; i++) {
        this.debugreg.push(this._io.readU8le());
      }
      this.eventCallbackEip = this._io.readU8le();
      this.failsafeCallbackEip = this._io.readU8le();
      this.syscallCallbackEip = this._io.readU8le();
      this.vmAssist = this._io.readU8le();
      this.fsBase = this._io.readU8le();
      this.gsBaseKernel = this._io.readU8le();
      this.gsBaseUser = this._io.readU8le();
    }

    return VcpuGuestContextX8664;
  })();

  return VcpuContexts;
})();
VcpuContexts_.VcpuContexts = VcpuContexts;
});
