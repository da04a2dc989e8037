// Compiled from bench/peers/kaitai/cpuid_leaves.ksy by kaitai-struct-compiler 0.11.0. Do not edit: run npm run bench:kaitai.
// This is a generated file! Please edit source .ksy file and use kaitai-struct-compiler to rebuild

(function (root, factory) {
  if (typeof define === 'function' && define.amd) {
    define(['exports', 'kaitai-struct/KaitaiStream'], factory);
  } else if (typeof exports === 'object' && exports !== null && typeof exports.nodeType !== 'number') {
    factory(exports, require('kaitai-struct/KaitaiStream'));
  } else {
    factory(root.CpuidLeaves || (root.CpuidLeaves = {}), root.KaitaiStream);
  }
})(typeof self !== 'undefined' ? self : this, function (CpuidLeaves_, KaitaiStream) {
var CpuidLeaves = (function() {
  function CpuidLeaves(_io, _parent, _root) {
    this._io = _io;
    this._parent = _parent;
    this._root = _root || this;

    this._read();
  }
  CpuidLeaves.prototype._read = function() {
    this.entries = [];
    var i = 0;
    while (!this._io.isEof()) {
      this.entries.push(new CpuidLeaf(this._io, this, this._root));
      i++;
    }
  }

  var CpuidLeaf = CpuidLeaves.CpuidLeaf = (function() {
    function CpuidLeaf(_io, _parent, _root) {
      this._io = _io;
      this._parent = _parent;
      this._root = _root;

      this._read();
    }
    CpuidLeaf.prototype._read = function() {
      this.leaf = this._io.readU4le();
      this.subleaf = this._io.readU4le();
      this.eax = this._io.readU4le();
      this.ebx = this._io.readU4le();
      this.ecx = this._io.readU4le();
      this.edx = this._io.readU4le();
    }

    return CpuidLeaf;
  })();

  return CpuidLeaves;
})();
CpuidLeaves_.CpuidLeaves = CpuidLeaves;
});
