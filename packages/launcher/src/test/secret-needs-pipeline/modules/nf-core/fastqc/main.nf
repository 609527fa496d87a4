process FASTQC {
    tag "${meta.id}"
    label 'process_medium'
    secret('LICENSE_KEY') // the parenthesised form is the same call

    input:
    tuple val(meta), path(reads)

    output:
    tuple val(meta), path("*.html"), emit: html
    path "versions.yml"            , emit: versions

    when:
    task.ext.when == null || task.ext.when

    script:
    def token = "${secrets.FASTQC_TOKEN}"
    """
    fastqc --threads $task.cpus $reads
    """
}
