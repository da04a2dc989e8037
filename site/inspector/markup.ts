/**
 * The inspector page's own HTML (inside the site's `<main>`, after its introduction): a file picker
 * that is also a drop zone, a status line read out by screen readers, and the places the script
 * fills. Plain semantic HTML; every control is a native button or input, so the keyboard works.
 */
export const INSPECTOR_MARKUP = `<div class="inspector">
<div class="dropzone" id="dropzone">
<p><label for="file">Image file</label> <input type="file" id="file"></p>
<p>Or drop a file on this box. The file stays on your computer: the page reads it here, a piece at a time.</p>
</div>
<p id="status" role="status" aria-live="polite">No file opened.</p>
<p><progress id="progress" max="1" value="0" aria-label="Bytes read of what this step reads" hidden></progress></p>
<noscript><p>The inspector needs JavaScript.</p></noscript>
<div id="report" hidden>
<h2 id="summary-heading">File</h2>
<p id="summary"></p>
<p>Bytes read from the file: <output id="bytes-read">0</output></p>
<div id="problems"></div>
<section id="header-part" aria-labelledby="header-heading">
<h2 id="header-heading">Header</h2>
<div class="table-wrap"><table class="facts" id="header-fields">
<thead><tr><th>Field</th><th>Value</th><th>Meaning</th></tr></thead>
<tbody></tbody>
</table></div>
<p><button type="button" id="show-header">Show the header's annotated hex</button></p>
</section>
<section id="sections-part" aria-labelledby="sections-heading">
<h2 id="sections-heading">Sections</h2>
<p><button type="button" id="check-all">Check every section</button></p>
<div class="table-wrap"><table class="sections" id="section-table">
<thead><tr><th>Nr</th><th>Name</th><th>Type</th><th>Offset</th><th>Size</th><th>Entries</th><th>EntSize</th><th>Align</th><th>CRC32C</th><th>Status</th></tr></thead>
<tbody></tbody>
</table></div>
</section>
<section id="xen-part" aria-labelledby="xen-heading" hidden>
<h2 id="xen-heading">Records</h2>
<ul id="xen-headers"></ul>
<div class="table-wrap"><table class="sections" id="xen-table">
<thead><tr></tr></thead>
<tbody></tbody>
</table></div>
</section>
<section id="detail" aria-labelledby="detail-heading" hidden>
<h2 id="detail-heading">Selected</h2>
<p id="detail-note"></p>
<div class="detail">
<div class="field-tree"><h3>Fields</h3><ul class="tree" id="field-tree"></ul></div>
<div class="field-hex"><h3 id="hex-heading">Annotated hex</h3><pre class="hexdump" id="hex" tabindex="0"></pre></div>
</div>
</section>
</div>
</div>`;
