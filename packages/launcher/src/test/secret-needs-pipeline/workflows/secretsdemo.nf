include { FASTQC   } from '../modules/nf-core/fastqc/main'
include { FETCH_DB } from '../modules/local/fetch_db/main'

workflow SECRETSDEMO {
    take:
    ch_samplesheet // channel: samplesheet read in from --input

    main:
    ch_versions = Channel.empty()
    ch_samplesheet
        .splitCsv(header: true)
        .map { row -> row.fastq_1 =~ /.*'quoted'.*/ ? row : null }
        .set { ch_reads }
    FASTQC ( ch_reads )
    FETCH_DB ( ch_reads )
    ch_versions = ch_versions.mix(FASTQC.out.versions.first())

    emit:
    versions = ch_versions
}
